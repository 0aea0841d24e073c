"""One case's run on an open document, kept true to the document's text as it is edited.

An `Explanation` remembers the prompt the model saw, where each of its characters stands in
the file now (`file_map`), and which stretches of the file it depends on (`extents`: the body
from its start to the end of the file, and each front-matter value or dataset record it used).
An edit that does not touch any extent moves the offsets; an edit that touches one drops the
explanation (and stops its run if it is still in flight). After each successful parse the case
is rendered again: if the prompt differs from the one the model saw, the explanation is
dropped as well (this catches what extents cannot see, e.g. a YAML escape rewritten); if it
is the same, its fresh source map replaces the moved one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..prompt.parsed_prompt import PromptCase, PromptFile
from ..prompt.source_map import SourceMap
from ..report.layout import RankedSegment, ranked_segments
from ..results import SalienceResult

if TYPE_CHECKING:
    from ..engine.case_run import PreparedPrompt, RunSettings
    from ..engine.explainer import Generation
    from ..models.model_spec import ModelSpec
    from .baselines import Baseline


@dataclass(frozen=True)
class TextEdit:
    """Code points [start, end) of the old text replaced by `length` new ones."""

    start: int
    end: int
    length: int

    @property
    def delta(self) -> int:
        return self.length - (self.end - self.start)


@dataclass(frozen=True)
class SegmentHit:
    """A segment of the result lying at a file offset: its place in the ranking, if scored."""

    index: int
    file_start: int
    file_end: int
    ranked: RankedSegment | None


class Explanation:
    """A case run (in flight until `generation` is set) and its current result."""

    def __init__(
        self,
        case: str,
        prepared: PreparedPrompt,
        extents: list[tuple[int, int]],
        settings: RunSettings,
        spec: ModelSpec,
        version: int,
    ) -> None:
        self.case = case
        self.prompt = prepared.text
        self.target = prepared.target
        self.file_map = prepared.source_map
        self.extents = extents  # closed intervals [start, end] of file offsets
        self.settings = settings
        self.spec = spec
        self.version = version  # the document version the run started from
        self.generation: Generation | None = None
        self.result: SalienceResult | None = None
        self.dropped = False
        # Set for a re-score: the earlier response forced as the target (no generation).
        self.rescored_from: Baseline | None = None
        self._cancels: set[threading.Event] = set()
        self._hits: list[tuple[int, int, int]] | None = None
        self._ranked: dict[int, RankedSegment] | None = None

    # -- life --------------------------------------------------------------------------------
    def new_cancel_event(self) -> threading.Event:
        """An event for one piece of work on this explanation; set when it is dropped."""
        event = threading.Event()
        if self.dropped:
            event.set()
        self._cancels.add(event)
        return event

    def forget_cancel_event(self, event: threading.Event) -> None:
        self._cancels.discard(event)

    def drop(self) -> None:
        """Invalidate: its text changed. Work still running for it is told to stop."""
        self.dropped = True
        self.stop()

    def stop(self) -> None:
        """Tell the work running for it to stop (the user cancelled); it stays valid."""
        for event in list(self._cancels):
            event.set()

    def set_result(self, result: SalienceResult) -> None:
        self.result = result
        self._hits = None
        self._ranked = None

    # -- keeping up with edits -----------------------------------------------------------------
    def touched_by(self, edit: TextEdit) -> bool:
        return any(edit.start <= end and edit.end >= start for start, end in self.extents)

    def move(self, edit: TextEdit) -> None:
        """Shift every file offset at or after the edit's end (call only when not touched)."""
        if edit.delta == 0:
            return

        def shift(offset: int) -> int:
            return offset + edit.delta if offset >= edit.end else offset

        self.extents = [(shift(s), shift(e)) for s, e in self.extents]
        offsets = tuple(o if o < 0 else shift(o) for o in self.file_map.file_offsets)
        self.file_map = SourceMap(offsets, self.file_map.origins)
        self._hits = None

    def confirm(self, prepared: PreparedPrompt) -> bool:
        """After a parse: keep (with the fresh source map) if the case renders the same prompt."""
        if prepared.text != self.prompt or prepared.target != self.target:
            return False
        self.file_map = prepared.source_map
        self._hits = None
        return True

    # -- reading the result -------------------------------------------------------------------
    def ranking(self) -> dict[int, RankedSegment]:
        """Segment index -> its rank and share (segments with a non-zero score only)."""
        if self._ranked is None:
            ranked = ranked_segments(self.result) if self.result is not None else []
            self._ranked = {r.index: r for r in ranked}
        return self._ranked

    def file_ranges(self, index: int) -> list[tuple[int, int]]:
        """File ranges [a, b) of segment `index`'s prompt part (none for response segments)."""
        assert self.result is not None
        segment = self.result.segments[index]
        end = min(segment.end, len(self.result.prompt))
        if segment.start >= end:
            return []
        return self.file_map.file_ranges(segment.start, end)

    def segments_at(self, offset: int) -> list[SegmentHit]:
        """The segments whose prompt text comes from the file character at `offset`."""
        if self.result is None:
            return []
        if self._hits is None:
            self._hits = sorted(
                (a, b, i) for i in range(len(self.result.segments)) for a, b in self.file_ranges(i)
            )
        ranking = self.ranking()
        return [SegmentHit(i, a, b, ranking.get(i)) for a, b, i in self._hits if a <= offset < b]

    def segments_of_placeholder(self, occurrence: int) -> list[SegmentHit]:
        """The segments holding the value that the body's `occurrence`-th placeholder (0-based,
        in file order) rendered to: each placeholder renders to one variable origin, in order."""
        if self.result is None:
            return []
        origins = [o for o in self.file_map.origins if o.kind == "variable"]
        if not 0 <= occurrence < len(origins):
            return []
        origin = origins[occurrence]
        ranking = self.ranking()
        return [
            SegmentHit(i, -1, -1, ranking.get(i))
            for i, s in enumerate(self.result.segments)
            if s.start < origin.end and s.end > origin.start
        ]


def dependency_extents(
    document: PromptFile, case: PromptCase, source_map: SourceMap, line_bounds: tuple[int, int]
) -> list[tuple[int, int]]:
    """The closed file intervals a run of `case` depends on.

    A dataset record depends on its line (`line_bounds`, without the line break); a template on
    the body up to the end of the file and on each value it used (variables, target).
    """
    if case.prompt is not None:
        return [line_bounds]
    extents = [(document.body_offset, len(document.text))]
    for origin in source_map.origins:
        if origin.kind != "variable":
            continue
        offsets = [o for o in source_map.file_offsets[origin.start : origin.end] if o >= 0]
        if offsets:
            extents.append((min(offsets), max(offsets) + 1))
    if case.target is not None:
        offsets = [o for o in case.target.file_offsets if o >= 0]
        if offsets:
            extents.append((min(offsets), max(offsets) + 1))
    return extents
