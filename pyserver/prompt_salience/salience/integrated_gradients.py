"""Integrated gradients from an all-zero embedding baseline for the attributable tokens."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .objective import SpanObjective
from .registry import Attribution, SalienceMethod, register

BATCH = 8  # path points per compiled call: bounds memory, keeps one compiled shape


@register
class IntegratedGradients(SalienceMethod):
    """(e_i - b_i) . mean over the straight path of the gradient (midpoint rule, `steps` points).

    The baseline zeroes the embeddings of the attributable tokens (BOS and the span keep their
    own). Completeness: the scores should sum to f(input) - f(baseline); the gap is reported,
    and shrinks as `steps` grows.
    """

    name = "integrated_gradients"
    label = "Integrated Gradients"
    signed = True

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        steps = int(self.options.get("steps", 16))
        if steps < 1:
            raise ValueError("integrated gradients needs at least one step")
        emb = objective.embeddings  # padded (T, d)
        keep = objective.attributable
        moving = np.zeros((emb.shape[0], 1), np.float32)
        moving[keep] = 1.0
        moving_j = jnp.asarray(moving, emb.dtype)
        baseline = emb * (1 - moving_j)
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
        f_base = float(objective.values(baseline[None], np.ones((1, objective.length), np.int32))[0])
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
