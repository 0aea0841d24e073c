"""LIT's Grad L2 Norm: one backward pass per span."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..method import Attribution, SalienceMethod

if TYPE_CHECKING:
    from ..objective import SpanObjective


class GradL2(SalienceMethod):
    """||d log p(span) / d e_i||: how sensitive the span is to token i (unsigned)."""

    name = "grad_l2"
    label = "Grad L2 Norm"
    description = (
        "Gradient L2 norm (LIT's default): how sensitive the span is to each part; unsigned."
    )
    signed = False
    cost = "one backward pass"
    order = 10

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        _, l2, _ = objective.gradient_scores()
        return Attribution(objective.only_attributable(l2))
