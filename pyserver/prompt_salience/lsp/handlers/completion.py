"""textDocument/completion in `.prompt` files, from the server's own lists.

- after `{{` in the body: the file's variables (top-level, then each case's);
- at a key's place in the front-matter: the parser's keys (top level, in a case, in `expect:`);
- after `method:`, `granularity:` and `model:`: the method registry (in order), the
  granularity choices, and the embedded model then keras-hub's Gemma presets.

The file format has no place that names a case (cases are chosen by their CodeLens, or the
CLI's `--case`), so there are no case-name items. The context is read from the line up to the
cursor, since the YAML is often unreadable while a key is half typed.
"""

from __future__ import annotations

import re

from lsprotocol.types import (
    TEXT_DOCUMENT_COMPLETION,
    CompletionList,
    CompletionOptions,
    CompletionParams,
    Position,
    Range,
)

from ...prompt.foreign_formats import ForeignFileError
from ...prompt.front_matter import CASE_KEYS, FRONT_MATTER_KEYS
from ...prompt.parsed_prompt import EXPECTATION_KINDS, PromptFile
from ..language_server import PromptSalienceServer
from ..open_documents import OpenDocument
from ..positions import units_in
from .completion_items import (
    granularity_items,
    key_items,
    method_items,
    model_items,
    variable_items,
)

TRIGGER_CHARACTERS = ["{", ":", " "]
_FENCE = re.compile(r"---[ \t]*")  # a front-matter fence line, as the parser reads it
_KEY_PLACE = re.compile(r"(?P<indent>[ \t]*)(?P<dash>-[ \t]+)?(?P<word>[A-Za-z_]*)")
_VALUE_PLACE = re.compile(r"(?P<key>[A-Za-z_]+)[ \t]*:(?P<gap>[ \t]*)(?P<word>[^\s#]*)")
_PLACEHOLDER_START = re.compile(r"(?<!\\)\{\{[ \t]*(?P<word>[A-Za-z_][A-Za-z0-9_]*|)")
_CLOSED = re.compile(r"[A-Za-z0-9_]*[ \t]*\}\}")
_LINE_KEY = re.compile(r"(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<key>[A-Za-z_][\w-]*)[ \t]*:")


def register(server: PromptSalienceServer) -> None:
    options = CompletionOptions(trigger_characters=TRIGGER_CHARACTERS)
    server.feature(TEXT_DOCUMENT_COMPLETION, options)(completion)


async def completion(ls: PromptSalienceServer, params: CompletionParams) -> CompletionList | None:
    """Items for the place of the cursor; None where we have nothing to offer."""
    document = ls.documents.get(params.text_document.uri)
    if document is None or document.is_dataset:
        return None  # a `.jsonl` record is JSON: no template, no front-matter
    parse = ls.parse(document)
    if isinstance(parse.error, ForeignFileError):
        return None  # another tool's file: left alone
    index = document.index
    offset = index.offset_at(params.position)
    line = index.line_of(offset)
    before = document.text[index.line_starts[line] : offset]
    fence = _front_matter_lines(document)
    if fence is not None and fence[0] < line < fence[1]:
        return await _front_matter_completion(document, fence, line, before, params.position)
    prompt_file = parse.document
    if prompt_file is None or prompt_file.raw or offset < prompt_file.body_offset:
        return None
    return _variable_completion(document, prompt_file, before, offset, params.position)


def _variable_completion(
    document: OpenDocument, prompt_file: PromptFile, before: str, offset: int, at: Position
) -> CompletionList | None:
    """The variables, after an unescaped `{{` (and `}}` added when it is not there yet)."""
    opened = [m for m in _PLACEHOLDER_START.finditer(before) if m.end() == len(before)]
    if not opened:
        return None
    word = opened[-1].group("word")
    closed = _CLOSED.match(document.text, offset) is not None
    replaced = _range_back(document, at, word)
    items = variable_items(prompt_file, replaced, "" if closed else "}}")
    return CompletionList(is_incomplete=False, items=items)


async def _front_matter_completion(
    document: OpenDocument, fence: tuple[int, int], line: int, before: str, at: Position
) -> CompletionList | None:
    key_place = _KEY_PLACE.fullmatch(before)
    if key_place is not None:
        column = len(key_place.group("indent")) + len(key_place.group("dash") or "")
        keys = _keys_at(document, line, column)
        if column == 0:  # a top-level key is written once
            written = _top_level_keys(document, fence, line)
            keys = tuple(key for key in keys if key not in written)
        if not keys:
            return None
        replaced = _range_back(document, at, key_place.group("word"))
        return CompletionList(is_incomplete=False, items=key_items(keys, replaced))
    value_place = _VALUE_PLACE.fullmatch(before)
    if value_place is None or before[:1].isspace():
        return None  # only top-level settings have listed values
    word = value_place.group("word")
    lead = "" if value_place.group("gap") else " "
    replaced = _range_back(document, at, word)
    key = value_place.group("key")
    if key == "method":
        return CompletionList(is_incomplete=False, items=method_items(replaced, lead))
    if key == "granularity":
        return CompletionList(is_incomplete=False, items=granularity_items(replaced, lead))
    if key == "model":
        items, complete = await model_items(replaced, lead)
        return CompletionList(is_incomplete=not complete, items=items)
    return None


def _keys_at(document: OpenDocument, line: int, column: int) -> tuple[str, ...]:
    """The keys that may stand at `column` of `line`: by the key of the nearest line above
    that is less indented (none: the top level)."""
    if column == 0:
        return FRONT_MATTER_KEYS
    index = document.index
    for above in range(line - 1, 0, -1):
        found = _LINE_KEY.match(document.text, index.line_starts[above], index.line_end(above))
        if found is None:
            continue
        text = found.group()
        key_column = len(text) - len(text.lstrip(" \t-")) if "-" in text else len(found["indent"])
        if key_column < column:
            parent = found.group("key")
            if parent == "cases":
                return CASE_KEYS
            if parent == "expect":
                return EXPECTATION_KINDS
            return ()
    return ()


def _top_level_keys(document: OpenDocument, fence: tuple[int, int], line: int) -> set[str]:
    """The keys written at the start of the front-matter's lines, but on `line`."""
    index = document.index
    found = set()
    for other in range(fence[0] + 1, min(fence[1], index.line_count)):
        key = _LINE_KEY.match(document.text, index.line_starts[other], index.line_end(other))
        if other != line and key is not None and not key.group("indent"):
            found.add(key.group("key"))
    return found


def _front_matter_lines(document: OpenDocument) -> tuple[int, int] | None:
    """(opening fence line, closing fence line) of the front-matter, the closing one past the
    end while it is not written yet; None for a file without one (a raw prompt)."""
    index = document.index
    text = document.text
    first = 1 if text.startswith("\ufeff") else 0
    if _FENCE.fullmatch(text, first, index.line_end(0)) is None:
        return None
    for line in range(1, index.line_count):
        if _FENCE.fullmatch(text, index.line_starts[line], index.line_end(line)):
            return 0, line
    return 0, index.line_count


def _range_back(document: OpenDocument, at: Position, word: str) -> Range:
    """From the start of `word`, typed just before `at`, to `at`."""
    units = units_in(word, document.encoding)
    return Range(Position(at.line, max(at.character - units, 0)), at)
