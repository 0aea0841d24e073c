"""Integrated gradients from a padding-token baseline for the attributable tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..method import Attribution, MethodOption, SalienceMethod

if TYPE_CHECKING:
    from ..objective import SpanObjective

BATCH = 8  # path points per compiled call: bounds memory, keeps one compiled shape


class IntegratedGradients(SalienceMethod):
    """(e_i - b_i) . mean over the straight path of the gradient (midpoint rule, `steps` points).

    The baseline replaces every attributable token by the padding token (BOS and the span keep
    their own embeddings); see SpanObjective.baseline_embeddings for why not zeros.
    Completeness: the scores should sum to f(input) - f(baseline); the gap is reported, and
    shrinks as `steps` grows.
    """

    name = "integrated_gradients"
    label = "Integrated Gradients"
    description = "Integrated gradients from a padding baseline: signed."
    signed = True
    cost = "{steps} backward passes"
    order = 30
    options = (MethodOption("steps", setting="ig_steps", default=16),)

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        import jax.numpy as jnp
        import numpy as np

        steps = int(self.option_values["steps"])
        if steps < 1:
            raise ValueError("integrated gradients needs at least one step")
        emb = objective.embeddings  # padded (T, d)
        baseline = objective.baseline_embeddings()
        alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps
        total = np.zeros((objective.length, emb.shape[1]), np.float64)
        for start in range(0, steps, BATCH):
            chunk = alphas[start : start + BATCH]
            padded = np.zeros((BATCH,), np.float32)
            padded[: len(chunk)] = chunk
            a = jnp.asarray(padded, emb.dtype)[:, None, None]
            points = baseline[None] + a * (emb - baseline)[None]
            _, grads = objective.values_and_grads(points)
            total += grads[: len(chunk)].astype(np.float64).sum(axis=0)
        mean_grad = total / steps
        delta = (np.asarray(emb, np.float64) - np.asarray(baseline, np.float64))[: objective.length]
        scores = np.sum(mean_grad * delta, axis=-1)
        f_input, _ = objective.value_and_grad()
        f_base = float(
            objective.values(baseline[None], np.ones((1, objective.length), np.int32))[0]
        )
        difference = f_input - f_base
        gap = float(np.sum(scores) - difference)
        notes = {
            "steps": float(steps),
            "completeness_gap": gap,
            "completeness_gap_relative": abs(gap) / max(abs(difference), 1e-9),
            "logprob_input": f_input,
            "logprob_baseline": f_base,
        }
        return Attribution(scores.astype(np.float32), notes)
