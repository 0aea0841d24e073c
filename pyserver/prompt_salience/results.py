"""What a run and an explanation produce: plain, immutable values shared by the CLI, reports and server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Scores below this are treated as zero when picking a colour scale (as LIT does).
SCALE_FLOOR = 1e-3


@dataclass(frozen=True)
class CharSpan:
    """A half-open range [start, end) of character (code point) offsets into a text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span [{self.start}, {self.end})")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: CharSpan) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class ScoredSegment:
    """One segment of the explained text with its salience score (sum over its tokens)."""

    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class SalienceResult:
    """The salience of every segment of `prompt + response` for one span of the response.

    Offsets (`span`, `segments`, `token_spans`) index `text` = prompt + response. Segments are
    in order and do not overlap; whitespace between them belongs to none (a whitespace-only
    token's score is counted in the segment before it). The explained span and everything
    after it score 0. `signed` methods have scores of either sign: positive = pushed the model
    towards writing the span.

    `span_logprob` is log p(span tokens | everything before them), summed over the span's
    tokens, in nats: the quantity every method explains. None only for results built without a
    model (tests, hand-made examples).
    """

    model: str
    method: str
    granularity: str
    signed: bool
    prompt: str
    response: str
    response_is_generated: bool
    span: CharSpan
    segments: tuple[ScoredSegment, ...]
    token_spans: tuple[CharSpan, ...]
    token_scores: tuple[float, ...]
    notes: dict[str, float] = field(default_factory=dict)
    span_logprob: float | None = None

    @property
    def text(self) -> str:
        return self.prompt + self.response

    @property
    def span_text(self) -> str:
        return self.text[self.span.start : self.span.end]

    def scale(self) -> float:
        """Largest |score| among the segments (floor SCALE_FLOOR): the colour scale's end."""
        return max([abs(s.score) for s in self.segments] + [SCALE_FLOOR])


SegmentStatus = Literal["same", "changed", "added", "removed"]


@dataclass(frozen=True)
class AlignedSegment:
    """A prompt segment of A paired with one of B by a sequence diff of the segment texts.

    `same`: the same text on both sides; `changed`: a text of A replaced by a text of B;
    `added`: only in B; `removed`: only in A. Offsets of `a` and `b` index each side's own
    prompt. `share_a` / `share_b` are each side's |score| over the sum of |scores| of that
    side's prompt segments, so each side's shares sum to 1. For signed methods a share measures
    influence in either direction: a segment that pushed away from the span weighs as much as
    one that pushed towards it (its score, in `a` / `b`, keeps the sign).
    """

    status: SegmentStatus
    a: ScoredSegment | None
    b: ScoredSegment | None
    share_a: float | None
    share_b: float | None

    @property
    def share_change(self) -> float | None:
        """share_b - share_a on a `same` pair (> 0: B leans on it more); None otherwise."""
        if self.status != "same" or self.share_a is None or self.share_b is None:
            return None
        return self.share_b - self.share_a


@dataclass(frozen=True)
class CrossScores:
    """log p of each side's explained span under each side's prompt (nats), no generation.

    `a_under_b` is A's response forced after B's prompt, with A's explained span; and so on.
    """

    a_under_a: float
    a_under_b: float
    b_under_a: float
    b_under_b: float

    @property
    def delta_a(self) -> float:
        """log p(A's span | B) - log p(A's span | A): < 0 when B's prompt makes A's answer less
        likely."""
        return self.a_under_b - self.a_under_a

    @property
    def delta_b(self) -> float:
        """log p(B's span | B) - log p(B's span | A): > 0 when B's prompt makes B's answer more
        likely than A's prompt does."""
        return self.b_under_b - self.b_under_a


@dataclass(frozen=True)
class Comparison:
    """Two runs, A and B, compared: both results, the cross-scores and the aligned prompt
    segments. `a_label` / `b_label` say where each came from (file and case)."""

    a: SalienceResult
    b: SalienceResult
    a_label: str
    b_label: str
    cross: CrossScores
    segments: tuple[AlignedSegment, ...]
