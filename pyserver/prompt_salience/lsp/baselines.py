"""Baselines: the response a case is judged against after an edit.

A user pins a result (`promptSalience.pin`); without a pin, the last result an edit removed
serves. After an edit and a pause, the re-scorer forces the baseline's response, with its
explained span, as the target under the edited prompt: how likely is the old answer now, and
which parts of the new prompt drive it? No generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine.comparison import align_segments
from ..report.likelihood import likelihood_change
from ..results import AlignedSegment, CharSpan, SalienceResult

if TYPE_CHECKING:
    from ..engine.explainer import Generation
    from .explanations import Explanation


@dataclass(frozen=True)
class Baseline:
    """A response and its explained span (response offsets), with the span's log-probability
    under the prompt it was computed on, and the view it was explained in."""

    case: str
    response: str
    span: CharSpan
    span_text: str
    logprob: float | None  # None: not computed (results made outside the engine)
    method: str
    granularity: str
    pinned: bool = False
    # The whole run, for a segment's score before and after (hovers) and comparisons.
    result: SalienceResult | None = field(default=None, compare=False, repr=False)
    generation: Generation | None = field(default=None, compare=False, repr=False)

    def summary(self, logprob: float) -> str | None:
        """`log p(pinned answer) -1.5 → -5.3 (43x less likely)`: this baseline's span under
        another prompt, in words (None without the baseline's own log p)."""
        if self.logprob is None:
            return None
        which = "pinned" if self.pinned else "last"
        change = likelihood_change(logprob - self.logprob)
        return f"log p({which} answer) {self.logprob:.1f} → {logprob:.1f} ({change})"

    @classmethod
    def of(cls, explanation: Explanation, *, pinned: bool = False) -> Baseline | None:
        """The baseline an explanation's result gives (None without a result)."""
        result = explanation.result
        if result is None:
            return None
        shift = len(result.prompt)
        return cls(
            case=explanation.case,
            response=result.response,
            span=CharSpan(result.span.start - shift, result.span.end - shift),
            span_text=result.span_text,
            logprob=result.span_logprob,
            method=result.method,
            granularity=result.granularity,
            pinned=pinned,
            result=result,
            generation=explanation.generation,
        )


def before_and_after(explanation: Explanation) -> dict[int, AlignedSegment]:
    """For a re-score: each current prompt segment (by index in the result) paired with the
    baseline's segment it aligns with (`same`, `changed`, or `added` by the edit)."""
    baseline, result = explanation.rescored_from, explanation.result
    if baseline is None or baseline.result is None or result is None:
        return {}
    index = {(s.start, s.end): i for i, s in enumerate(result.segments)}
    return {
        index[(pair.b.start, pair.b.end)]: pair
        for pair in align_segments(baseline.result, result)
        if pair.b is not None
    }
