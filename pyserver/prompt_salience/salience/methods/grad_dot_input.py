"""LIT's Grad x Input: one backward pass per span (shared with Grad L2 when both run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..method import Attribution, SalienceMethod

if TYPE_CHECKING:
    from ..objective import SpanObjective


class GradDotInput(SalienceMethod):
    """(d log p(span) / d e_i) . e_i: positive when token i pushed towards the span."""

    name = "grad_dot_input"
    label = "Grad x Input"
    description = "Gradient · input: signed (orange = towards the span, blue = away)."
    signed = True
    cost = "one backward pass"
    order = 20

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        _, _, gxi = objective.gradient_scores()
        return Attribution(objective.only_attributable(gxi))
