"""The one place where LSP positions meet the engine's offsets.

The engine counts code points (Python string indices). LSP counts, per line, in the session's
position encoding: UTF-16 code units unless the client and server agreed on UTF-8 or UTF-32.
Lines are those of the shared `prompt.line_index.LineIndex`: they end at `\\r\\n`, `\\n` or
`\\r` only, as LSP says.

Out-of-range input is clamped as the LSP specification asks: a line past the end means the end
of the document, a character past the end of its line means the end of that line, and a
position inside a character (half of a surrogate pair) means the start of that character.
"""

from __future__ import annotations

import bisect

from lsprotocol.types import Position, PositionEncodingKind, Range

from ..prompt.line_index import LineIndex

UTF8 = str(PositionEncodingKind.Utf8.value)
UTF16 = str(PositionEncodingKind.Utf16.value)
UTF32 = str(PositionEncodingKind.Utf32.value)


def char_units(char: str, encoding: str = UTF16) -> int:
    """How many units of `encoding` one code point takes."""
    code = ord(char)
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return 2 if code > 0xFFFF else 1


def units_in(text: str, encoding: str = UTF16) -> int:
    """Length of `text` in units of `encoding`."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


class TextUnits:
    """Offsets within one string (e.g. a response) in code points <-> units of `encoding`."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self._ascii = text.isascii() or encoding == UTF32
        starts = [0]
        if not self._ascii:
            total = 0
            for char in text:
                total += char_units(char, encoding)
                starts.append(total)
        self._unit_starts = starts  # unit offset of each code point (and of the end)

    @property
    def length(self) -> int:
        """Length of the text in units."""
        return len(self.text) if self._ascii else self._unit_starts[-1]

    def to_units(self, offset: int) -> int:
        """Code-point offset (clamped to the text) -> unit offset."""
        offset = min(max(offset, 0), len(self.text))
        return offset if self._ascii else self._unit_starts[offset]

    def to_offset(self, units: int) -> int:
        """Unit offset (clamped; inside a character = its start) -> code-point offset."""
        if self._ascii:
            return min(max(units, 0), len(self.text))
        units = min(max(units, 0), self._unit_starts[-1])
        return bisect.bisect_right(self._unit_starts, units) - 1


class PositionIndex(LineIndex):
    """A document's lines, for offset <-> Position conversion in the session's encoding."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        super().__init__(text)
        self.encoding = encoding

    def offset_at(self, position: Position) -> int:
        """The code-point offset of `position`, clamped into the text."""
        line = max(position.line, 0)
        if line >= len(self.line_starts):
            return len(self.text)
        start, end = self.line_starts[line], self.line_end(line)
        character = max(position.character, 0)
        if self.encoding == UTF32 or self.text.isascii():
            return min(start + character, end)
        units = 0
        for offset in range(start, end):
            units += char_units(self.text[offset], self.encoding)
            if units > character:
                return offset
        return end

    def position_at(self, offset: int) -> Position:
        """The Position of code-point `offset` (clamped into the text)."""
        offset = min(max(offset, 0), len(self.text))
        line = self.line_of(offset)
        start = self.line_starts[line]
        # An offset between \r and \n belongs to no position: round it back to the line's end.
        offset = min(offset, max(self.line_end(line), start))
        return Position(line, units_in(self.text[start:offset], self.encoding))

    def range_of(self, start: int, end: int) -> Range:
        """The Range of code-point offsets [start, end)."""
        return Range(self.position_at(start), self.position_at(max(start, end)))

    def line_range(self, line: int) -> Range:
        """The whole of `line` (without its line break); the last line if `line` is past it."""
        line = min(max(line, 0), len(self.line_starts) - 1)
        return self.range_of(self.line_starts[line], self.line_end(line))

    def offsets_of(self, range_: Range) -> tuple[int, int]:
        """Code-point offsets [start, end) of `range_`, ordered."""
        start, end = self.offset_at(range_.start), self.offset_at(range_.end)
        return (start, end) if start <= end else (end, start)
