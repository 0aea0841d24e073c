"""Integrated gradients from a padding-token baseline for the attributable tokens, with as many
gradient points as completeness needs (up to the `steps` cap)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..method import Attribution, MethodOption, SalienceMethod

if TYPE_CHECKING:
    import jax
    import numpy as np

    from ..objective import SpanObjective

BATCH = 8  # path points per compiled call: bounds memory, keeps one compiled shape
INITIAL_POINTS = 8  # evenly spaced points to start from, both ends included (one batch)
# The most that |sum of scores - (f(input) - f(baseline))| may be, relative to the change
# f(input) - f(baseline), before the result is said to be incomplete; refinement also goes on
# while any one panel misses more than this. The one place it is set.
COMPLETENESS_BOUND = 0.05


class IntegratedGradients(SalienceMethod):
    """(e_i - b_i) . integral over the straight path from b to e of the gradient.

    The baseline replaces every attributable token by the padding token (BOS and the span keep
    their own embeddings); see SpanObjective.baseline_embeddings for why not zeros.
    Completeness: the scores should sum to f(input) - f(baseline). The integral is the
    trapezoid rule over INITIAL_POINTS evenly spaced points, both ends included; then points
    are added, a batch at a time, in the middle of the panels where the rule misses most of the
    change in f, until the gap and every panel's gap are within COMPLETENESS_BOUND of the change
    or `steps` points are spent (path_quadrature.py says why the path needs this). The gap and
    the bound are in the notes.
    """

    name = "integrated_gradients"
    label = "Integrated Gradients"
    description = "Integrated gradients from a padding baseline: signed."
    signed = True
    cost = "up to {steps} backward passes"
    order = 30
    # At least 2: the trapezoid rule needs both ends of the path.
    options = (MethodOption("steps", setting="ig_steps", default=128, minimum=2),)

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        import numpy as np

        from ..path_quadrature import (
            change,
            evenly_spaced,
            integrate,
            largest_panel_gap,
            refine_until_complete,
        )

        cap = int(self.option_values["steps"])
        if cap < 2:
            raise ValueError("integrated gradients needs at least two steps (both ends)")
        path = _StraightPath(objective)
        start = evenly_spaced(min(INITIAL_POINTS, cap), path.gradient_points)
        points = refine_until_complete(
            start,
            bound=COMPLETENESS_BOUND,
            points_left=cap - len(start),
            batch=BATCH,
            gradient_points=path.gradient_points,
        )
        f_base, f_input = points[0].value, points[-1].value
        difference = change(points)
        scores = np.zeros((objective.length,), np.float64)
        scores[: path.length] = integrate(points)
        gap = float(np.sum(scores) - difference)
        notes = {
            "steps": float(len(points)),
            "steps_cap": float(cap),
            "completeness_gap": gap,
            "completeness_gap_relative": abs(gap) / max(abs(difference), 1e-9),
            "completeness_bound": COMPLETENESS_BOUND,
            "largest_panel_gap_relative": largest_panel_gap(points),
            "logprob_input": f_input,
            "logprob_baseline": f_base,
        }
        return Attribution(scores.astype(np.float32), notes)


class _StraightPath:
    """Points baseline + alpha * (input - baseline) of one objective, run BATCH at a time."""

    def __init__(self, objective: SpanObjective) -> None:
        import numpy as np

        self.objective = objective
        self.length = objective.length
        # Points are formed in float32 and then cast: a bfloat16 alpha could not tell apart
        # the fine intervals that refinement makes.
        self.input = np.asarray(objective.embeddings, np.float32)
        self.baseline = np.asarray(objective.baseline_embeddings(), np.float32)
        self.delta = (self.input.astype(np.float64) - self.baseline)[: self.length]

    def _batches(self, alphas: list[float]) -> list[tuple[int, jax.Array]]:
        import jax.numpy as jnp
        import numpy as np

        dtype = self.objective.embeddings.dtype
        batches = []
        for start in range(0, len(alphas), BATCH):
            chunk = alphas[start : start + BATCH]
            padded = np.zeros((BATCH, 1, 1), np.float32)
            padded[: len(chunk), 0, 0] = chunk
            points = self.baseline[None] + padded * (self.input - self.baseline)[None]
            batches.append((len(chunk), jnp.asarray(points, dtype)))
        return batches

    def gradient_points(self, alphas: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """f at each alpha, and per-token gradient . (input - baseline): (len(alphas), T)."""
        import numpy as np

        values, scores = [], []
        for used, points in self._batches(alphas):
            v, grads = self.objective.values_and_grads(points)
            values.append(v[:used])
            scores.append(np.einsum("btd,td->bt", grads[:used].astype(np.float64), self.delta))
        return np.concatenate(values), np.concatenate(scores)
