"""What every view of a comparison draws: the responses as a word diff, the deltas in words, and
the shared segments that gained or lost most share of salience."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Literal

from prompt_salience.results import AlignedSegment, Comparison

# Below this (in nats, a factor of about 1.1) a change in log p reads as "about as likely".
ABOUT_AS_LIKELY = 0.1

DiffKind = Literal["same", "removed", "added"]
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffPiece:
    """A stretch of the word diff: in both texts, only in A (`removed`) or only in B (`added`)."""

    kind: DiffKind
    text: str


def word_diff(a: str, b: str) -> list[DiffPiece]:
    """`a` -> `b` as pieces, word by word (whitespace runs are words too, so that joining the
    `same` and `removed` pieces gives `a` back, and `same` and `added` give `b`)."""
    left, right = _WORDS.findall(a), _WORDS.findall(b)
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    pieces: list[DiffPiece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(DiffPiece("same", "".join(left[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(DiffPiece("removed", "".join(left[i1:i2])))
        if j2 > j1:
            pieces.append(DiffPiece("added", "".join(right[j1:j2])))
    return pieces


def likelihood_factor(delta: float) -> str:
    """exp(|delta|) as people read it: `2.5x`, `43x`, `1,200x`, `3.1e+09x`."""
    factor = math.exp(min(abs(delta), 700.0))  # exp overflows a float past ~709
    if factor >= 1e6:
        return f"{factor:.2g}x"
    return f"{factor:,.0f}x" if factor >= 9.95 else f"{factor:.1f}x"


def describe_delta(delta: float, answer: str, before: str, after: str) -> str:
    """One sentence for a change of log p from the `before` prompt to the `after` prompt, e.g.
    "After B's prompt, A's answer is 43x less likely than after A's prompt."."""
    if abs(delta) < ABOUT_AS_LIKELY:
        return f"After {after}, {answer} is about as likely as after {before}."
    direction = "less" if delta < 0 else "more"
    return f"After {after}, {answer} is {likelihood_factor(delta)} {direction} likely than after {before}."


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
