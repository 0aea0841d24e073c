"""Edits that do what a problem's fix says (`Problem.fixes`, the editor's quick fixes).

The parser attaches them where it knows the file's shape (which key, which lines an entry
spans, where `vars:` is), so an editor applies them without reading messages. A fix is offered
only where the edit is sure to be right: block-style YAML, values written without escapes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode

from .line_index import LineIndex
from .parsed_prompt import TextFix

# What a new variable holds until the user writes its value: plainly a gap to fill.
NEW_VALUE = "TODO"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def closest(word: str, choices: Collection[str]) -> str | None:
    """The choice closest to `word` (difflib's rule), or None if none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def line_break(text: str) -> str:
    """The file's own line break (its first one), for the lines a fix writes."""
    found = _LINE_BREAK.search(text)
    return found.group() if found else "\n"


def rename(start: int, end: int, name: str) -> TextFix:
    """Write `name` over [start, end): the one obvious fix for a misspelt name."""
    return TextFix(f"Change to `{name}`", start, end, name, preferred=True)


def replacements(start: int, end: int, written: str, choices: Sequence[str]) -> tuple[TextFix, ...]:
    """Each choice over [start, end), the closest to `written` first (and preferred)."""
    best = closest(written, choices)
    ordered = [best] if best is not None else []
    ordered += [choice for choice in choices if choice != best]
    return tuple(TextFix(f"Change to `{c}`", start, end, c, preferred=c == best) for c in ordered)


def plain_span(offsets: Sequence[int]) -> tuple[int, int] | None:
    """[start, end) of a value whose characters stand one by one in the file (no escapes, no
    folded lines), else None: only such a value can be replaced as a whole."""
    if not offsets or any(o != offsets[0] + i for i, o in enumerate(offsets)):
        return None
    return offsets[0], offsets[-1] + 1


@dataclass(frozen=True)
class VariableSlot:
    """Where a new top-level variable goes: `before + "name: value" + after` at offset `at`."""

    at: int
    before: str
    after: str

    def add(self, name: str, title: str, preferred: bool = False) -> TextFix:
        entry = f"{self.before}{name}: {NEW_VALUE}{self.after}"
        return TextFix(title, self.at, self.at, entry, preferred)


def variable_slot(
    lines: LineIndex,
    base: int,
    vars_nodes: tuple[ScalarNode, Node] | None,
    absent_at: int,
    indent: str = "",
) -> VariableSlot | None:
    """Where to add a variable to a mapping's `vars:`: before the first entry of a block
    `vars:`, under an empty `vars:`, or, without `vars:`, a new one at `absent_at` indented by
    `indent`; None for other shapes (flow style `{...}`, `vars: null`). `base` is the
    front-matter's file offset (node marks count from it)."""
    newline = line_break(lines.text)
    if vars_nodes is None:
        return VariableSlot(absent_at, f"{indent}vars:{newline}{indent}  ", newline)
    key, value = vars_nodes
    if isinstance(value, MappingNode) and not value.flow_style and value.value:
        first = value.value[0][0]
        at = base + first.start_mark.index - first.start_mark.column
        return VariableSlot(at, " " * first.start_mark.column, newline)
    empty = value.start_mark.index == value.end_mark.index
    if isinstance(value, ScalarNode) and value.tag.endswith(":null") and empty:
        end = lines.line_end(lines.line_of(base + key.start_mark.index))
        return VariableSlot(end, newline + " " * (key.start_mark.column + 2), "")
    return None


def next_line_start(lines: LineIndex, end: int) -> int:
    """The start of the line after the one holding the character before `end`."""
    following = lines.line_of(max(end - 1, 0)) + 1
    return lines.line_starts[following] if following < lines.line_count else len(lines.text)


def entry_lines(lines: LineIndex, key_start: int, entry_end: int) -> tuple[int, int] | None:
    """[start, end) of the whole lines holding a block-mapping entry that starts its line (a
    multi-line value included), or None when something else shares its first line."""
    line = lines.line_of(key_start)
    start = lines.line_starts[line]
    if lines.text[start:key_start].strip():
        return None
    return start, next_line_start(lines, max(entry_end, key_start + 1))
