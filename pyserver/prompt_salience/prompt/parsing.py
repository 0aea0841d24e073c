"""The `.prompt` format, and `parse_prompt_file`: the entry that reads one file.

Format::

    ---
    description: What this prompt is for
    vars:
      menu_item: Quiche Lorraine
    ---
    Suggestion: {{menu_item}}
    Analysis:

The front-matter is optional; without it the file is a raw prompt, sent as it is (`{{` included).
With it, the body is a template: `{{ name }}` inserts a variable, `\\{{` a literal `{{`, and
nothing else may stand between braces (no expressions, no logic). The file is data: YAML is only
composed into nodes, never constructed into objects, and the body is never evaluated.

Final newline: the body's last line break is not part of the prompt (editors add one to every
file), so a body ending in "Analysis:" plus one line break renders as "...Analysis:". To end a
prompt with a line break, leave one blank line at the end of the file.

Offsets are code points into the file's own text (CRLF kept). Every character of a variable
value or target maps to the file character it came from: escapes (`\\n`, `''`) to their first
character, folded line breaks (plain, quoted and `>` scalars) to the line break they replace.

The package's parts: `parsed_prompt.py` (the data), `reading.py` (bytes to text),
`front_matter.py`, `yaml_scalars.py` (each value character's offset), `template.py` (the body and
rendering, `render_case`) and `line_index.py` (the one line-break rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import MappingProxyType

from ..errors import PromptFileError
from .fixes import NEW_VALUE, closest, line_break, rename
from .front_matter import FrontMatter, read_front_matter, setting_problems, suggest
from .line_index import LineIndex
from .parsed_prompt import (
    DEFAULT_CASE,
    Placeholder,
    Problem,
    PromptCase,
    PromptFile,
    PromptSettings,
    TextFix,
)
from .template import PLACEHOLDER, invalid_placeholder_problem, scan_body

_FENCE = re.compile(r"---[ \t]*(?:\r\n|\r|\n|\Z)")


def parse_prompt_file(text: str, path: str | None = None) -> PromptFile:
    """Parse a prompt file. Raises PromptFileError only when its structure cannot be read
    (malformed YAML, front-matter never closed or not a mapping); every other problem is listed
    in `problems`, so an editor can show them all at once.
    """
    lines = LineIndex(text)
    start = 1 if text.startswith("\ufeff") else 0
    opening = _FENCE.match(text, start)
    if opening is None:
        return _parse_raw(lines, path, start)
    fm_start = opening.end()
    closing = _closing_fence(lines, fm_start)
    if closing is None:
        raise PromptFileError(
            "The front-matter opened by `---` on line 1 is never closed.",
            "Add a line `---` after the settings, before the prompt text.",
            path=path,
            line=1,
            column=1,
        )
    fm_end, body_start = closing
    front = read_front_matter(lines, fm_start, fm_end, path)
    body_end = _body_end(text, body_start)
    pieces = list(scan_body(lines, body_start, body_end))
    placeholders = tuple(p.placeholder for p in pieces if p.placeholder is not None)
    problems = list(front.problems)
    problems += [invalid_placeholder_problem(text, p) for p in pieces if p.kind == "invalid"]
    body = text[body_start:body_end]
    if not body.strip():
        fix = "Write the prompt after the closing `---`."
        problems.append(Problem("error", "The prompt body is empty.", fix, fm_end, body_start))
    cases = front.cases(body_line=lines.line_of(body_start))
    problems += _variable_problems(text, placeholders, front, cases)
    problems += setting_problems(front)
    return PromptFile(
        path=path,
        text=text,
        settings=front.settings(),
        body=body,
        body_offset=body_start,
        placeholders=placeholders,
        variables=MappingProxyType(dict(front.variables)),
        cases=cases,
        problems=tuple(sorted(problems, key=lambda p: (p.start, p.end))),
    )


def _parse_raw(lines: LineIndex, path: str | None, start: int) -> PromptFile:
    """A file without front-matter: the whole text (but its final line break) is the prompt."""
    text = lines.text
    end = _body_end(text, start)
    body = text[start:end]
    problems = []
    if not body.strip():
        problems.append(Problem("error", "The prompt is empty.", "Write the prompt text.", 0, 0))
    newline = line_break(text)
    for match in PLACEHOLDER.finditer(text, start, end):
        name = match.group(1)
        front = f"---{newline}vars:{newline}  {name}: {NEW_VALUE}{newline}---{newline}"
        problems.append(
            Problem(
                "warning",
                f"`{match.group()}` is sent to the model as it is: this file has no front-matter.",
                f"Start the file with `---`, `vars:`, `  {name}: <value>`, `---` to make "
                "it a placeholder.",
                match.start(),
                match.end(),
                code="placeholder-without-front-matter",
                fixes=(
                    TextFix(f"Add a front-matter defining `{name}`", start, start, front, True),
                ),
            )
        )
    line = lines.line_of(start)
    return PromptFile(
        path=path,
        text=text,
        settings=PromptSettings(),
        body=body,
        body_offset=start,
        placeholders=(),
        variables=MappingProxyType({}),
        cases=(PromptCase(DEFAULT_CASE, MappingProxyType({}), None, line),),
        problems=tuple(problems),
        raw=True,
    )


def _closing_fence(lines: LineIndex, start: int) -> tuple[int, int] | None:
    """(start of the closing `---` line, start of the body) or None if never closed."""
    for position in (start, *lines.line_starts[lines.line_of(start) + 1 :]):
        fence = _FENCE.match(lines.text, position)
        if fence is not None:
            return position, fence.end()
    return None


def _body_end(text: str, body_start: int) -> int:
    """End of the body: the text's end, less exactly one final line break."""
    end = len(text)
    if text.endswith("\r\n") and end - 2 >= body_start:
        return end - 2
    if text.endswith(("\n", "\r")) and end - 1 >= body_start:
        return end - 1
    return end


def _variable_problems(
    text: str,
    placeholders: tuple[Placeholder, ...],
    front: FrontMatter,
    cases: tuple[PromptCase, ...],
) -> Iterator[Problem]:
    used = {p.name for p in placeholders}
    case_list = front.case_list or []
    defined = set(front.variables).union(*(c.variables for c in case_list))
    slot = front.variable_slot
    for placeholder in placeholders:
        name = placeholder.name
        if name not in defined:
            fixes = []
            close = closest(name, defined)
            if close is not None:  # the name alone, inside the braces
                at = text.index(name, placeholder.start + 2)
                fixes.append(rename(at, at + len(name), close))
            if slot is not None:
                fixes.append(slot.add(name, f"Add `{name}` to `vars:`", preferred=not fixes))
            yield Problem(
                "error",
                f"Unknown placeholder `{{{{{name}}}}}`: no variable `{name}` is defined.",
                f"{suggest(name, defined)}To define it, add "
                f"`{name}: <value>` under `vars:` in the front-matter.",
                placeholder.start,
                placeholder.end,
                code="unknown-placeholder",
                fixes=tuple(fixes),
            )
    for entry in [
        *front.variable_keys.values(),
        *(e for c in case_list for e in c.variables.values()),
    ]:
        if entry.value.name not in used:
            remove = (
                ()
                if entry.lines is None
                else (TextFix(f"Remove `{entry.value.name}`", *entry.lines, "", preferred=True),)
            )
            yield Problem(
                "warning",
                f"Variable `{entry.value.name}` is never used in the prompt.",
                f"Use it as `{{{{{entry.value.name}}}}}` in the body, or remove it.",
                entry.key_start,
                entry.key_end,
                code="unused-variable",
                fixes=remove,
            )
    for raw_case, case in zip(case_list, cases if case_list else (), strict=True):
        for name in sorted((used & defined) - set(case.variables)):
            own = raw_case.variable_slot
            title = f"Add `{name}` to this case's `vars:`"
            fixes = [] if own is None else [own.add(name, title, preferred=True)]
            if slot is not None:
                fixes.append(slot.add(name, f"Add `{name}` to the top-level `vars:`"))
            yield Problem(
                "error",
                f"Case `{case.name}` has no value for `{{{{{name}}}}}`.",
                f"Add `{name}: <value>` under this case's `vars:`, or under the top-level `vars:`.",
                raw_case.name_start,
                raw_case.name_end,
                code="case-missing-variable",
                fixes=tuple(fixes),
            )
