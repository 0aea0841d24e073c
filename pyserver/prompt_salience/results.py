"""What a run and an explanation produce: plain, immutable values shared by the CLI, reports and server."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def text(self) -> str:
        return self.prompt + self.response

    @property
    def span_text(self) -> str:
        return self.text[self.span.start : self.span.end]

    def scale(self) -> float:
        """Largest |score| among the segments (floor SCALE_FLOOR): the colour scale's end."""
        return max([abs(s.score) for s in self.segments] + [SCALE_FLOOR])
