"""Files that share our suffixes but belong to other tools, recognised so they are left alone.

`.prompt` is also Google's Dotprompt format (Genkit, with its own VS Code extension): Handlebars
blocks and helpers in the body (`{{#if}}`, `{{role "system"}}`, `{{media}}`, `{{> partial}}`)
and `input` / `output` / `config` keys in the front-matter. Our templates have none of these,
only `{{variable}}` placeholders. `.jsonl` is also every chat or evaluation dataset; ours are
LIT's, whose records carry a `prompt`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import PromptFileError
from .line_index import LineIndex

# Front-matter keys of Dotprompt that no Prompt Salience template uses.
DOTPROMPT_KEYS = ("input", "output", "config", "tools", "variant", "version", "metadata", "raw")
_DOTPROMPT_KEY = re.compile(rf"^(?:{'|'.join(DOTPROMPT_KEYS)})[ \t]*:", re.MULTILINE)
# A Handlebars block, partial, comment, else, @data variable or one of Dotprompt's helpers
# (an escaped `\{{` is literal text in our templates, so it does not count).
_HANDLEBARS = re.compile(
    r"(?<!\\)\{\{~?\s*(?:[#/>!^@]|else\b|(?:role|media|history|section|json)\b)"
)
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class ForeignFile:
    """What the file looks like, and where the first sign of it is (offset)."""

    kind: str
    sign: str
    offset: int


class ForeignFileError(PromptFileError):
    """A file of another tool's format: not an error of the file, a reason to leave it alone."""


def foreign_format(text: str, path: str | None) -> ForeignFile | None:
    """The other tool's format this file is in, or None when it is (or may be) ours."""
    if path is not None and path.lower().endswith(".jsonl"):
        return None if _has_prompt_records(text) else ForeignFile("jsonl", "", 0)
    return _dotprompt(text)


def check_not_foreign(text: str, path: str | None) -> None:
    """Raise ForeignFileError, saying what the file is and why it is left alone."""
    found = foreign_format(text, path)
    if found is None:
        return
    line, column = LineIndex(text).line_column(found.offset)
    if found.kind == "jsonl":
        raise ForeignFileError(
            "This JSON Lines file has no record with a `prompt`, so it is not a LIT dataset and "
            "Prompt Salience leaves it alone.",
            'To explain it, give each record a "prompt" (and optionally "target", "source").',
            path=path,
            line=1,
            column=1,
        )
    raise ForeignFileError(
        f"This looks like a Dotprompt (Genkit) file ({found.sign} at line {line}), so Prompt "
        "Salience leaves it alone.",
        "A Prompt Salience template has only {{variable}} placeholders and no input/output/"
        "config keys; write \\{{ for literal braces.",
        path=path,
        line=line,
        column=column,
    )


def _dotprompt(text: str) -> ForeignFile | None:
    fences = list(_FENCE.finditer(text, 0))
    body_start = 0
    if fences and fences[0].start() == (1 if text.startswith("\ufeff") else 0) and len(fences) > 1:
        front = text[fences[0].end() : fences[1].start()]
        key = _DOTPROMPT_KEY.search(front)
        if key is not None:
            name = key.group().split(":")[0].strip()
            sign = f"the front-matter key `{name}`"
            return ForeignFile("dotprompt", sign, fences[0].end() + key.start())
        body_start = fences[1].end()
    block = _HANDLEBARS.search(text, body_start)
    if block is None:
        return None
    end = text.find("}}", block.start())
    shown = text[block.start() : end + 2 if 0 <= end - block.start() < 40 else block.end()]
    return ForeignFile("dotprompt", f"`{shown}`", block.start())


def _has_prompt_records(text: str) -> bool:
    """Whether any line is a JSON object with a `prompt` (cheap: stops at the first)."""
    for line in text.splitlines():
        if '"prompt"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return True  # a damaged record of ours: show its error
        if isinstance(record, dict) and "prompt" in record:
            return True
    return False
