"""What every view of a comparison draws: the responses as a word diff, the deltas in words, and
the shared segments that gained or lost most share of salience."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from prompt_salience.report.likelihood import NEGLIGIBLE_NATS, likelihood_change
from prompt_salience.results import AlignedSegment, Comparison

DiffKind = Literal["same", "removed", "added"]
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffPiece:
    """A stretch of the word diff: in both texts, only in A (`removed`) or only in B (`added`)."""

    kind: DiffKind
    text: str


def word_diff(a: str, b: str) -> list[DiffPiece]:
    """`a` -> `b` as pieces, word by word. Whitespace runs are words too, so that joining the
    `same` and `removed` pieces gives `a` back, and `same` and `added` give `b`; a lone space
    between two changes joins them, so "You have to" -> "Avoid" reads as one change."""
    left, right = _WORDS.findall(a), _WORDS.findall(b)
    codes = difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes()
    pieces: list[DiffPiece] = []
    removed: list[str] = []
    added: list[str] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(codes):
        between_changes = 0 < index < len(codes) - 1 and "".join(left[i1:i2]).isspace()
        if tag == "equal" and not between_changes:
            _flush(pieces, removed, added)
            pieces.append(DiffPiece("same", "".join(left[i1:i2])))
            continue
        removed.extend(left[i1:i2])
        added.extend(right[j1:j2])
    _flush(pieces, removed, added)
    return pieces


def _flush(pieces: list[DiffPiece], removed: list[str], added: list[str]) -> None:
    """End a run of changes: what A had, then what B has instead."""
    if removed:
        pieces.append(DiffPiece("removed", "".join(removed)))
    if added:
        pieces.append(DiffPiece("added", "".join(added)))
    removed.clear()
    added.clear()


def describe_delta(delta: float, answer: str, before: str, after: str) -> str:
    """One sentence for a change of log p from the `before` prompt to the `after` prompt, e.g.
    "After B's prompt, A's answer is 43x less likely than after A's prompt." (the wording of
    `likelihood.likelihood_change`, shared with the editor)."""
    change = likelihood_change(delta)
    if abs(delta) < NEGLIGIBLE_NATS:
        return f"After {after}, {answer} is {change} as after {before}."
    return f"After {after}, {answer} is {change} than after {before}."


def delta_sentences(comparison: Comparison) -> tuple[str, str]:
    """The two deltas in words: A's answer, then B's, each going from A's prompt to B's."""
    cross = comparison.cross
    return (
        describe_delta(cross.delta_a, "A's answer", "A's prompt", "B's prompt"),
        describe_delta(cross.delta_b, "B's answer", "A's prompt", "B's prompt"),
    )


def format_logprob(value: float) -> str:
    return f"{value:.2f}"


def format_delta(value: float) -> str:
    return f"{value:+.2f} nats"


def share_movers(
    comparison: Comparison, n: int
) -> tuple[list[AlignedSegment], list[AlignedSegment]]:
    """The `same` segments that gained most share (largest increase first) and those that lost
    most (largest decrease first), at most `n` each; unchanged shares are in neither."""
    same = [s for s in comparison.segments if s.share_change is not None]
    gained = sorted((s for s in same if _change(s) > 0), key=lambda s: -_change(s))
    lost = sorted((s for s in same if _change(s) < 0), key=_change)
    return gained[:n], lost[:n]


def _change(segment: AlignedSegment) -> float:
    change = segment.share_change
    return 0.0 if change is None else change


def differing(comparison: Comparison) -> list[AlignedSegment]:
    """The segments that are not the same on both sides, in prompt order."""
    return [s for s in comparison.segments if s.status != "same"]


def same_share_totals(comparison: Comparison) -> tuple[float, float]:
    """How much of each side's salience lies on the segments the two prompts share."""
    same = [s for s in comparison.segments if s.status == "same"]
    return (
        sum(s.share_a or 0.0 for s in same),
        sum(s.share_b or 0.0 for s in same),
    )
