"""What every report view draws: the text cut into pieces, and the segments ranked by salience."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from prompt_salience.results import SalienceResult, ScoredSegment


@dataclass(frozen=True)
class Piece:
    """A stretch of `result.text` with one look: in one segment (or none), in the span or not.

    Pieces cut at segment edges, at the span's edges and where the prompt ends, so a segment
    may be drawn as several pieces (a line that runs from the prompt into the response).
    """

    start: int
    end: int
    text: str
    segment: int | None
    in_span: bool
    in_response: bool


@dataclass(frozen=True)
class RankedSegment:
    """A segment with its place by |score| (1 = most salient) and its share of the total |score|."""

    index: int
    segment: ScoredSegment
    rank: int
    share: float


def text_pieces(result: SalienceResult) -> list[Piece]:
    """`result.text` cut into pieces, in order; they cover the whole text exactly once."""
    text = result.text
    segments = result.segments
    cuts = {0, len(text), len(result.prompt), result.span.start, result.span.end}
    for segment in segments:
        cuts.update((segment.start, segment.end))
    edges = sorted(c for c in cuts if 0 <= c <= len(text))
    starts = [s.start for s in segments]
    pieces = []
    for start, end in itertools.pairwise(edges):
        # Segments are sorted and disjoint: only the last one starting at or before can hold it.
        candidate = bisect.bisect_right(starts, start) - 1
        inside = candidate >= 0 and segments[candidate].start <= start < segments[candidate].end
        pieces.append(
            Piece(
                start=start,
                end=end,
                text=text[start:end],
                segment=candidate if inside else None,
                in_span=result.span.start <= start < result.span.end,
                in_response=start >= len(result.prompt),
            )
        )
    return pieces


def ranked_segments(result: SalienceResult) -> list[RankedSegment]:
    """Segments with a non-zero score, most salient first (ties: earlier first)."""
    total = sum(abs(s.score) for s in result.segments)
    order = sorted(
        (i for i, s in enumerate(result.segments) if s.score != 0),
        key=lambda i: (-abs(result.segments[i].score), i),
    )
    return [
        RankedSegment(
            index=i,
            segment=result.segments[i],
            rank=rank,
            share=abs(result.segments[i].score) / total if total else 0.0,
        )
        for rank, i in enumerate(order, start=1)
    ]


def shorten(text: str, width: int = 40) -> str:
    """`text` on one line (line breaks shown as ↵), cut to `width` characters with an ellipsis."""
    flat = text.replace("\r\n", "↵").replace("\n", "↵").replace("\r", "↵").replace("\t", " ")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def one_line(text: str) -> str:
    """`text` with line breaks and tabs written as escapes, for the one-line footer."""
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def span_footer(result: SalienceResult) -> str:
    """LIT's footer: `Explaining [start:end] "span text"` (offsets into prompt + response)."""
    return f'Explaining [{result.span.start}:{result.span.end}] "{one_line(result.span_text)}"'


def format_score(score: float, signed: bool) -> str:
    """A score with 3 significant digits; with its sign always shown for signed methods."""
    if score == 0:
        return "0"
    return f"{score:+.3g}" if signed else f"{score:.3g}"


NOTE_MEANINGS = {
    "completeness_gap": (
        "integrated gradients: how far the sum of the scores is from the change in the span's "
        "log-likelihood between the baseline and the prompt; small is good"
    ),
    "completeness_bound": (
        "integrated gradients adds gradient points until the relative gap is within this"
    ),
    "largest_panel_gap_relative": (
        "integrated gradients: the most that the sum misses between two neighbouring points of "
        "the path, relative to the change; refinement goes on while it is over the bound"
    ),
    "steps": "integrated gradients: the gradient points (backward passes) it spent",
    "steps_cap": "integrated gradients: the most gradient points it may spend (the steps setting)",
    "prefetched_span": "computed in the background after the run, before this span was chosen",
    "summed_token_rows": (
        "summed from each response token's gradient, computed in the background after the run"
    ),
}


def describe_note(key: str, value: float) -> str:
    """`key = value`, with what it means when the key is a known one."""
    meaning = NOTE_MEANINGS.get(key)
    head = f"{key} = {value:.4g}"
    return f"{head} ({meaning})" if meaning else head


@dataclass(frozen=True)
class Notice:
    """A sentence to show with a result, in every view; `warning`: drawn as a warning."""

    text: str
    warning: bool


def result_notices(notes: Mapping[str, float]) -> list[Notice]:
    """What a reader must know about a result, from its notes: for integrated gradients, how
    close its scores come to summing to the change in log p, against the method's bound."""
    if "completeness_gap_relative" not in notes or "completeness_bound" not in notes:
        return []
    gap, bound = notes["completeness_gap_relative"], notes["completeness_bound"]
    steps = int(notes.get("steps", 0))
    spent = f"{steps} step{'' if steps == 1 else 's'}"
    if gap <= bound:
        return [
            Notice(
                f"Integrated gradients: the scores sum to within {_percent(gap)} of the change "
                f"in log p from the baseline (bound {_percent(bound)}, {spent}).",
                warning=False,
            )
        ]
    capped = " (the cap)" if steps >= int(notes.get("steps_cap", steps + 1)) else ""
    return [
        Notice(
            f"Integrated gradients are incomplete: the scores sum to {_percent(gap)} away from "
            f"the change in log p from the baseline, over the {_percent(bound)} bound after "
            f"{spent}{capped}. Read them with care, or raise the integrated-gradients steps "
            "(setting `promptSalience.igSteps`, CLI `--steps`).",
            warning=True,
        )
    ]


def _percent(fraction: float) -> str:
    """0.021 -> "2.1%", 0.05 -> "5%", 6.8 -> "680%"."""
    shown = f"{fraction:.1%}" if fraction < 0.1 else f"{fraction:.0%}"
    return shown.replace(".0%", "%")
