"""The gradient methods for many spans of one sequence, batched: one forward pass, and the
pullback (`jax.vjp`) mapped (`jax.vmap`) over one cotangent per span.

log p(span) is a sum over the span's tokens, so its gradient is the pullback of the per-token
log-probabilities with a 0/1 cotangent over the span. Two batches share that pass:
- `span_gradients`: the cotangents are the spans' masks (the response's lines and sentences);
- `token_rows`: the cotangents are one-hot, giving each token's own gradient rows (T, d). Any
  span inside the rows is then a sum: Grad L2 is the norm of the summed rows and Grad x Input,
  being linear, the sum of the rows' dot products.

The quantities equal `objective.SpanObjective`'s (same sign, same scaling): causal attention
means the tokens after a span change nothing before it, so one sequence serves every span.
Cost: one forward pass plus one backward pass per cotangent; the head's backward pass is paid
per cotangent over every predicted position, so batches keep the positions to the ones needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..models.shapes import bucket_length
from ..models.traced_programs import StoredJit, fingerprint
from .method import Attribution
from .methods.grad_dot_input import GradDotInput
from .methods.grad_l2 import GradL2
from .objective import SPAN_BUCKET, ScoringModel, for_latest_model

# The methods a batch serves, and which of its two scores each one shows.
BATCHED_METHODS = (GradL2.name, GradDotInput.name)


@dataclass(frozen=True)
class SpanGradients:
    """The gradient scores of one span [first, end): what `SpanObjective.gradient_scores`
    gives, with every token outside [1, first) already zero (the span and BOS are fixed)."""

    first: int
    end: int
    logprob: float
    l2: np.ndarray  # (end,) ||d log p(span) / d e_i||
    gxi: np.ndarray  # (end,) (d log p(span) / d e_i) . e_i

    def attributions(self, notes: dict[str, float]) -> dict[str, Attribution]:
        """The Attribution each batched method gives for this span, with `notes`."""
        return {
            GradL2.name: Attribution(self.l2, dict(notes)),
            GradDotInput.name: Attribution(self.gxi, dict(notes)),
        }


def _attributable(scores: np.ndarray, first: int) -> np.ndarray:
    out = np.zeros_like(scores)
    out[1:first] = scores[1:first]
    return out


@dataclass
class _Programs:
    span_gradients: Callable[..., tuple[jax.Array, jax.Array, jax.Array]]
    token_rows: Callable[..., tuple[jax.Array, jax.Array]]


def _build_programs(model: ScoringModel) -> _Programs:
    def forward(
        weights: list[jax.Array],
        ids: jax.Array,
        mask: jax.Array,
        positions: jax.Array,
        targets: jax.Array,
    ) -> tuple[jax.Array, jax.Array, Callable[[jax.Array], tuple[jax.Array]]]:
        emb = model.embed(weights, ids)  # (T, d)

        def per_token(e: jax.Array) -> jax.Array:  # (T, d) -> (K,) log p of each target
            logits = model.span_logits(weights, e[None], mask[None], positions)
            logp = jax.nn.log_softmax(logits, axis=-1)
            return jnp.take_along_axis(logp, targets[None, :, None], axis=-1)[0, :, 0]

        logp, pullback = jax.vjp(per_token, emb)
        return emb, logp, pullback

    def span_gradients(
        weights: list[jax.Array],
        ids: jax.Array,  # (T,)
        mask: jax.Array,  # (T,)
        positions: jax.Array,  # (K,) the position predicting each target
        targets: jax.Array,  # (K,)
        cotangents: jax.Array,  # (S, K) each span's 0/1 mask over the targets
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        emb, logp, pullback = forward(weights, ids, mask, positions, targets)
        (grads,) = jax.vmap(pullback)(cotangents.astype(logp.dtype))  # (S, T, d)
        # Reduced on the device: (S, T) vectors come back to the host, not (S, T, d).
        grad32, emb32 = grads.astype(jnp.float32), emb.astype(jnp.float32)
        values = cotangents @ logp.astype(jnp.float32)
        return values, jnp.linalg.norm(grad32, axis=-1), jnp.sum(grad32 * emb32[None], axis=-1)

    def token_rows(
        weights: list[jax.Array],
        ids: jax.Array,
        mask: jax.Array,
        positions: jax.Array,  # (C,) one chunk of targets
        targets: jax.Array,  # (C,)
    ) -> tuple[jax.Array, jax.Array]:
        _, logp, pullback = forward(weights, ids, mask, positions, targets)
        (grads,) = jax.vmap(pullback)(jnp.eye(positions.shape[0], dtype=logp.dtype))  # (C, T, d)
        return logp.astype(jnp.float32), grads.astype(jnp.float32)

    # Stored once traced: tracing a mapped pullback costs seconds, and background work must
    # not hold the worker longer than it has to.
    stored_as = fingerprint(getattr(model, "fingerprint", id(model)), Path(__file__))
    return _Programs(
        StoredJit(span_gradients, "span_gradients", stored_as),
        StoredJit(token_rows, "token_rows", stored_as),
    )


_programs_for = for_latest_model(_build_programs)


class SequenceGradients:
    """Batched gradient scores for spans of one token sequence (BOS first).

    `end` is the last token any span may reach (exclusive); tokens after it are dropped."""

    def __init__(self, model: ScoringModel, token_ids: Sequence[int], end: int) -> None:
        if not 2 <= end <= len(token_ids):
            raise ValueError(f"bad end {end} for {len(token_ids)} tokens")
        self.model = model
        self.end = end
        padded = bucket_length(end)
        ids = np.zeros((padded,), np.int32)
        ids[:end] = np.asarray(token_ids[:end], np.int32)
        self.token_ids = ids
        mask = np.zeros((padded,), np.int32)
        mask[:end] = 1
        self._ids = jnp.asarray(ids)
        self._mask = jnp.asarray(mask)
        self._programs = _programs_for(model)

    def _targets(self, first: int, count: int) -> tuple[jax.Array, jax.Array, int]:
        """Positions and targets for tokens [first, first + count), padded to `count`; and
        how many of them are real."""
        real = max(0, min(count, self.end - first))
        positions = np.zeros((count,), np.int32)
        targets = np.zeros((count,), np.int32)
        positions[:real] = np.arange(first - 1, first - 1 + real)
        targets[:real] = self.token_ids[first : first + real]
        return jnp.asarray(positions), jnp.asarray(targets), real

    def span_gradients(
        self, spans: Sequence[tuple[int, int]], batch: int | None = None
    ) -> list[SpanGradients]:
        """The scores of each token span [first, end), in one forward pass.

        `batch` pads the number of spans (zero cotangents) so that calls share one compiled
        program; by default it is len(spans)."""
        if not spans:
            return []
        if any(not 1 <= a < b <= self.end for a, b in spans):
            raise ValueError(f"a span of {list(spans)} is outside [1, {self.end})")
        low = min(a for a, _ in spans)
        high = max(b for _, b in spans)
        k = -(-(high - low) // SPAN_BUCKET) * SPAN_BUCKET
        positions, targets, _ = self._targets(low, k)
        rows = max(len(spans), batch or 0)
        cotangents = np.zeros((rows, k), np.float32)
        for i, (a, b) in enumerate(spans):
            cotangents[i, a - low : b - low] = 1.0
        values, l2, gxi = self._programs.span_gradients(
            self.model.weights, self._ids, self._mask, positions, targets, jnp.asarray(cotangents)
        )
        values_np = np.asarray(values, np.float64)
        l2_np = np.asarray(l2, np.float32)
        gxi_np = np.asarray(gxi, np.float32)
        return [
            SpanGradients(
                a,
                b,
                float(values_np[i]),
                _attributable(l2_np[i, :b], a),
                _attributable(gxi_np[i, :b], a),
            )
            for i, (a, b) in enumerate(spans)
        ]

    def token_rows(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(log p of each token, its gradient rows) for tokens [first, first + count): shapes
        (n,) and (n, end, d) float32, n = the real tokens among them (the rest is padding)."""
        positions, targets, real = self._targets(first, count)
        logp, grads = self._programs.token_rows(
            self.model.weights, self._ids, self._mask, positions, targets
        )
        return (
            np.asarray(logp, np.float32)[:real],
            np.asarray(grads, np.float32)[:real, : self.end],
        )

    def input_embeddings(self) -> np.ndarray:
        """The real tokens' embeddings, (end, d) float32."""
        emb = self.model.embed(self.model.weights, self._ids)
        return np.asarray(emb, np.float32)[: self.end]


class TokenRows:
    """Per-token gradient rows of targets [first, end), filled in chunks from `first` on; any
    span within the filled part is then a sum (see the module docstring)."""

    def __init__(self, embeddings: np.ndarray, first: int, end: int) -> None:
        self.embeddings = embeddings  # (end, d) float32
        self.first = first
        self.end = end
        self.filled = first  # rows [first, filled) are known
        self._logp = np.zeros((end - first,), np.float32)
        self._rows = np.zeros((end - first, end, embeddings.shape[1]), np.float32)

    @staticmethod
    def nbytes(first: int, end: int, hidden_dim: int) -> int:
        """The memory the rows of targets [first, end) take."""
        return (end - first) * end * hidden_dim * 4

    @property
    def complete(self) -> bool:
        return self.filled >= self.end

    def add(self, logp: np.ndarray, rows: np.ndarray) -> None:
        """Append the rows of the next tokens, [filled, filled + len(logp))."""
        at = self.filled - self.first
        self._logp[at : at + len(logp)] = logp
        self._rows[at : at + len(logp)] = rows
        self.filled += len(logp)

    def covers(self, first: int, end: int) -> bool:
        return self.first <= first < end <= self.filled

    def span(self, first: int, end: int) -> SpanGradients:
        """The scores of span [first, end), from the rows (`covers` must hold)."""
        if not self.covers(first, end):
            raise ValueError(f"rows [{self.first}, {self.filled}) do not cover [{first}, {end})")
        a, b = first - self.first, end - self.first
        grad = self._rows[a:b, :end].sum(axis=0)  # (end, d): d log p(span) / d e
        l2 = np.linalg.norm(grad, axis=-1)
        gxi = np.sum(grad * self.embeddings[:end], axis=-1)
        logprob = float(np.sum(self._logp[a:b], dtype=np.float64))
        return SpanGradients(
            first, end, logprob, _attributable(l2, first), _attributable(gxi, first)
        )
