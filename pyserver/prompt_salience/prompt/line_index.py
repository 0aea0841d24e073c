"""Where each line of a text starts: the one line-break rule of the whole package.

Lines end at `\\r\\n`, `\\n` or `\\r` only, as LSP and editors count them (`str.splitlines`
would also split at `\\u2028`, form feeds and others). Offsets and columns are code points;
`lsp/positions.py` builds its position encodings (UTF-16, UTF-8) on top of this index.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Line starts of one text, for many offset <-> line look-ups. Lines are 0-based."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        """The line holding `offset` (clamped into the text); a line break belongs to the line
        it ends, and so does an offset between `\\r` and `\\n`."""
        offset = min(max(offset, 0), len(self.text))
        return bisect.bisect_right(self.line_starts, offset) - 1

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of `offset` (clamped into the text), as error messages say."""
        offset = min(max(offset, 0), len(self.text))
        line = self.line_of(offset)
        return line + 1, offset - self.line_starts[line] + 1

    def line_end(self, line: int) -> int:
        """Offset just before the line break ending `line` (the text's end for the last line)."""
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1]
            return end - 2 if end >= 2 and self.text.startswith("\r\n", end - 2) else end - 1
        return len(self.text)

    def line_spans(self) -> Iterator[tuple[int, int]]:
        """[start, end) of every line, its line break left out."""
        for line, start in enumerate(self.line_starts):
            yield start, self.line_end(line)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of `offset` in `text`, for a single look-up."""
    return LineIndex(text).line_column(offset)
