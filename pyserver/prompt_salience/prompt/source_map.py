"""Where each character of a rendered prompt came from in the file the user edits.

A `SourceMap` holds, for every character of a rendered text, the offset (code points) of the
file character it was copied from, or -1 when it has none. `origins` cut the rendered text into
ordered pieces of template text and variable values, so salience can be painted on the template
and summed per variable.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

OriginKind = Literal["template", "variable"]
_KINDS: tuple[OriginKind, ...] = ("template", "variable")


@dataclass(frozen=True)
class Origin:
    """The rendered range [start, end) came from the template, or from one variable's value."""

    start: int
    end: int
    kind: OriginKind
    variable: str | None = None


@dataclass(frozen=True)
class SourceMap:
    """File offset (or -1) of every rendered character, and the origin pieces over the text."""

    file_offsets: tuple[int, ...]
    origins: tuple[Origin, ...]
    _origin_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expected = 0
        for origin in self.origins:
            if origin.start != expected or origin.end < origin.start:
                raise ValueError(f"origins must tile the text in order, got {origin}")
            expected = origin.end
        if expected != len(self.file_offsets):
            raise ValueError(f"origins cover {expected} characters of {len(self.file_offsets)}")
        object.__setattr__(self, "_origin_starts", tuple(o.start for o in self.origins))

    def __len__(self) -> int:
        return len(self.file_offsets)

    @staticmethod
    def identity(length: int, file_offset: int = 0) -> SourceMap:
        """A map for a raw prompt: rendered character i is file character file_offset + i."""
        offsets = tuple(range(file_offset, file_offset + length))
        origins = (Origin(0, length, "template"),) if length else ()
        return SourceMap(offsets, origins)

    def file_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """File ranges [a, b) holding the rendered range [start, end), contiguous runs merged.

        Characters with no file offset are skipped; ranges come in rendered order.
        """
        ranges: list[tuple[int, int]] = []
        for offset in self.file_offsets[max(start, 0) : max(end, 0)]:
            if offset < 0:
                continue
            if ranges and ranges[-1][1] == offset:
                ranges[-1] = (ranges[-1][0], offset + 1)
            elif ranges and ranges[-1][0] <= offset < ranges[-1][1]:
                continue  # several characters from one escape share the backslash's offset
            else:
                ranges.append((offset, offset + 1))
        return ranges

    def origin_at(self, offset: int) -> Origin | None:
        """The origin piece holding rendered character `offset` (None outside the text)."""
        if not 0 <= offset < len(self.file_offsets):
            return None
        # An empty origin shares its start with the next piece, so bisect_right skips it.
        return self.origins[bisect.bisect_right(self._origin_starts, offset) - 1]

    def variable_spans(self) -> list[tuple[int, int, str]]:
        """(start, end, name) of every variable value in the rendered text, in order."""
        return [
            (o.start, o.end, o.variable)
            for o in self.origins
            if o.kind == "variable" and o.variable is not None
        ]

    def to_json(self) -> dict[str, Any]:
        """A compact JSON form: each origin with its file offsets as runs [first, count].

        A run [f, n] stands for offsets f, f+1, ..., f+n-1; a run [-1, n] for n unmapped characters.
        """
        pieces: list[dict[str, Any]] = []
        for origin in self.origins:
            piece: dict[str, Any] = {"start": origin.start, "end": origin.end, "kind": origin.kind}
            if origin.variable is not None:
                piece["variable"] = origin.variable
            piece["runs"] = _runs(self.file_offsets[origin.start : origin.end])
            pieces.append(piece)
        return {"length": len(self.file_offsets), "origins": pieces}

    @staticmethod
    def from_json(data: dict[str, Any]) -> SourceMap:
        """Inverse of `to_json`; raises ValueError on a malformed map."""
        try:
            offsets: list[int] = []
            origins: list[Origin] = []
            for piece in data["origins"]:
                kind = piece["kind"]
                if kind not in _KINDS:
                    raise ValueError(f"unknown origin kind {kind!r}")
                variable = piece.get("variable")
                origins.append(Origin(int(piece["start"]), int(piece["end"]), kind, variable))
                for first, count in piece["runs"]:
                    offsets.extend([-1] * count if first < 0 else range(first, first + count))
            if len(offsets) != int(data["length"]):
                raise ValueError("runs do not add up to the length")
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed source map: {exc}") from exc
        return SourceMap(tuple(offsets), tuple(origins))


def _runs(offsets: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for offset in offsets:
        if runs:
            first, count = runs[-1]
            if (first < 0 and offset < 0) or (first >= 0 and offset == first + count):
                runs[-1][1] = count + 1
                continue
        runs.append([offset if offset >= 0 else -1, 1])
    return runs


class SourceMapBuilder:
    """Builds a SourceMap piece by piece while a prompt is rendered."""

    def __init__(self) -> None:
        self._chars: list[str] = []
        self._offsets: list[int] = []
        self._origins: list[Origin] = []

    def add(
        self,
        text: str,
        file_offsets: Iterable[int],
        kind: OriginKind,
        variable: str | None = None,
    ) -> None:
        """Append `text` whose characters came from `file_offsets` (one per character)."""
        offsets = list(file_offsets)
        if len(offsets) != len(text):
            raise ValueError(f"{len(text)} characters but {len(offsets)} offsets")
        start = len(self._offsets)
        self._chars.append(text)
        self._offsets.extend(offsets)
        last = self._origins[-1] if self._origins else None
        if kind == "template" and last is not None and last.kind == "template":
            # Neighbouring template pieces (text around a `\{{` escape) form one origin.
            self._origins[-1] = Origin(last.start, start + len(text), "template")
        elif text or kind == "variable":
            # An empty variable value still gets an origin, so its occurrence can be found.
            self._origins.append(Origin(start, start + len(text), kind, variable))

    def build(self) -> tuple[str, SourceMap]:
        """The rendered text and its map."""
        return "".join(self._chars), SourceMap(tuple(self._offsets), tuple(self._origins))
