"""LIT's two gradient methods: one backward pass per span."""

from __future__ import annotations

import numpy as np

from .objective import SpanObjective
from .registry import Attribution, SalienceMethod, register


def _restrict(scores: np.ndarray, objective: SpanObjective) -> np.ndarray:
    out = np.zeros_like(scores)
    keep = objective.attributable
    out[keep] = scores[keep]
    return out


@register
class GradL2(SalienceMethod):
    """||d log p(span) / d e_i||: how sensitive the span is to token i (unsigned)."""

    name = "grad_l2"
    label = "Grad L2 Norm"
    signed = False

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        _, l2, _ = objective.gradient_scores()
        return Attribution(_restrict(l2, objective))


@register
class GradDotInput(SalienceMethod):
    """(d log p(span) / d e_i) . e_i: positive when token i pushed towards the span."""

    name = "grad_dot_input"
    label = "Grad x Input"
    signed = True

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        _, _, gxi = objective.gradient_scores()
        return Attribution(_restrict(gxi, objective))
