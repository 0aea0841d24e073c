"""The quantity salience explains: log p(span tokens | everything before them), summed over the
span, as a function of the input token embeddings.

Sign convention (all methods): we differentiate the log-probability itself, so a positive
gradient-times-input or ablation score means the input pushed the model TOWARDS writing the
span. (LIT differentiates the loss, the opposite sign; on its Keras path with respect to the
unscaled embeddings, so its Grad L2 there equals ours times sqrt(hidden_dim); its Hugging Face
path gives ours.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from ..models.shapes import bucket_length
from ..models.traced_programs import StoredJit, fingerprint

SPAN_BUCKET = 16  # target positions are padded to a multiple of this (fewer compilations)


class ScoringModel(Protocol):
    """What the salience maths needs from a model (see models.language_model.GemmaLM)."""

    hidden_dim: int

    @property
    def weights(self) -> list[jax.Array]: ...

    def embed(self, weights: Sequence[jax.Array], token_ids: jax.Array) -> jax.Array: ...

    def span_logits(
        self,
        weights: Sequence[jax.Array],
        embeddings: jax.Array,
        attention_mask: jax.Array,
        positions: jax.Array,
    ) -> jax.Array: ...


@dataclass
class _Compiled:
    """jit-compiled objective functions of one model (compiled per shape by JAX)."""

    value_and_grad: Callable[..., tuple[jax.Array, jax.Array]]
    token_gradients: Callable[..., tuple[jax.Array, jax.Array, jax.Array]]
    batched_values: Callable[..., jax.Array]
    batched_value_and_grad: Callable[..., tuple[jax.Array, jax.Array]]
    # token_gradients of several sequences (B, T), each with its own span (B, K)
    many_token_gradients: Callable[..., tuple[jax.Array, jax.Array, jax.Array]]


T = TypeVar("T")


def for_latest_model(build: Callable[[ScoringModel], T]) -> Callable[[ScoringModel], T]:
    """`build(model)`, built once and kept for the latest model only: a model's compiled
    functions are reused, and an old model is not kept alive by them."""
    latest: list[tuple[ScoringModel, T]] = []

    def get(model: ScoringModel) -> T:
        if latest and latest[0][0] is model:
            return latest[0][1]
        built = build(model)
        latest[:] = [(model, built)]
        return built

    return get


def _build_compiled(model: ScoringModel) -> _Compiled:
    def span_logprob(
        weights: list[jax.Array],
        emb: jax.Array,  # (B, T, d)
        mask: jax.Array,  # (B, T)
        positions: jax.Array,  # (K,) position whose logits predict each target token
        targets: jax.Array,  # (K,)
        target_weights: jax.Array,  # (K,) 1 for real target tokens, 0 for padding
    ) -> jax.Array:
        logits = model.span_logits(weights, emb, mask, positions)
        logp = jax.nn.log_softmax(logits, axis=-1)
        picked = jnp.take_along_axis(logp, targets[None, :, None], axis=-1)[..., 0]
        return jnp.sum(picked * target_weights[None, :], axis=-1)

    def value_and_grad(
        weights: list[jax.Array], emb: jax.Array, mask: jax.Array, *span: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        def one(e: jax.Array) -> jax.Array:
            return span_logprob(weights, e[None], mask[None], *span)[0]

        return jax.value_and_grad(one)(emb)

    def token_gradients(
        weights: list[jax.Array], ids: jax.Array, mask: jax.Array, *span: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        # Embedding and the per-token reductions happen on the device: only (T,) vectors
        # come back to the host, not the (T, d) gradient.
        emb = model.embed(weights, ids)
        value, grad = value_and_grad(weights, emb, mask, *span)
        grad32, emb32 = grad.astype(jnp.float32), emb.astype(jnp.float32)
        return value, jnp.linalg.norm(grad32, axis=-1), jnp.sum(grad32 * emb32, axis=-1)

    def batched_value_and_grad(
        weights: list[jax.Array], emb: jax.Array, mask: jax.Array, *span: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        def one(e: jax.Array, m: jax.Array) -> jax.Array:
            return span_logprob(weights, e[None], m[None], *span)[0]

        return jax.vmap(jax.value_and_grad(one))(emb, mask)

    # The gradient methods' program is stored once traced: a restart then skips tracing.
    stored_as = fingerprint(getattr(model, "fingerprint", id(model)), Path(__file__))
    compiled = _Compiled(
        value_and_grad=jax.jit(value_and_grad),
        token_gradients=StoredJit(token_gradients, "token_gradients", stored_as),
        batched_values=jax.jit(span_logprob),
        batched_value_and_grad=jax.jit(batched_value_and_grad),
        many_token_gradients=jax.jit(jax.vmap(token_gradients, in_axes=(None, 0, 0, 0, 0, 0))),
    )
    return compiled


_compiled_for = for_latest_model(_build_compiled)


class SpanObjective:
    """log p(span | prefix) for one token sequence and one span of it.

    `token_ids` is the whole sequence (BOS first). The span is tokens [span_start, span_end);
    tokens after the span cannot influence it (causal model) and are dropped. Inputs that can
    be attributed are tokens [1, span_start): the BOS token and the span itself are held fixed.
    """

    def __init__(
        self, model: ScoringModel, token_ids: Sequence[int], span_start: int, span_end: int
    ) -> None:
        if not 1 <= span_start < span_end <= len(token_ids):
            raise ValueError(f"bad token span [{span_start}, {span_end}) of {len(token_ids)}")
        self.model = model
        self.length = span_end  # real tokens used
        self.span_start = span_start
        self.span_end = span_end
        padded = bucket_length(span_end)
        ids = np.zeros((padded,), np.int32)
        ids[:span_end] = np.asarray(token_ids[:span_end], np.int32)
        self.token_ids = ids
        mask = np.zeros((padded,), np.int32)
        mask[:span_end] = 1
        self.mask = jnp.asarray(mask)
        k = span_end - span_start
        k_padded = -(-k // SPAN_BUCKET) * SPAN_BUCKET
        positions = np.zeros((k_padded,), np.int32)
        positions[:k] = np.arange(span_start - 1, span_end - 1)
        targets = np.zeros((k_padded,), np.int32)
        targets[:k] = ids[span_start:span_end]
        target_weights = np.zeros((k_padded,), np.float32)
        target_weights[:k] = 1.0
        self._span_args = (
            jnp.asarray(positions),
            jnp.asarray(targets),
            jnp.asarray(target_weights),
        )
        self.weights = model.weights
        self._embeddings: jax.Array | None = None
        self._gradients: tuple[float, np.ndarray, np.ndarray] | None = None
        self._fns = _compiled_for(model)

    @property
    def embeddings(self) -> jax.Array:
        """The input embeddings, padded (T, d); computed on first use."""
        if self._embeddings is None:
            self._embeddings = self.model.embed(self.weights, jnp.asarray(self.token_ids))
        return self._embeddings

    def gradient_scores(self) -> tuple[float, np.ndarray, np.ndarray]:
        """(objective, ||grad|| per token, grad . input per token), one backward pass, memoized:
        the two gradient methods share it."""
        if self._gradients is None:
            value, l2, gxi = self._fns.token_gradients(
                self.weights, jnp.asarray(self.token_ids), self.mask, *self._span_args
            )
            n = self.length
            self._gradients = (
                float(value),
                np.asarray(l2, np.float32)[:n],
                np.asarray(gxi, np.float32)[:n],
            )
        return self._gradients

    @property
    def known_value(self) -> float | None:
        """The objective (log p of the span) if a backward pass already computed it; None
        otherwise (reading this never runs the model)."""
        return None if self._gradients is None else self._gradients[0]

    @property
    def attributable(self) -> slice:
        """Token indices whose scores mean something: after BOS, before the span."""
        return slice(1, self.span_start)

    def only_attributable(self, scores: np.ndarray) -> np.ndarray:
        """`scores` with every token outside `attributable` set to zero."""
        out = np.zeros_like(scores)
        out[self.attributable] = scores[self.attributable]
        return out

    def value_and_grad(self, embeddings: jax.Array | None = None) -> tuple[float, np.ndarray]:
        """The objective and its gradient w.r.t. the embeddings, (T_real, d) float32."""
        emb = self.embeddings if embeddings is None else embeddings
        value, grad = self._fns.value_and_grad(self.weights, emb, self.mask, *self._span_args)
        return float(value), np.asarray(grad, np.float32)[: self.length]

    def values(self, embeddings: jax.Array, masks: np.ndarray) -> np.ndarray:
        """The objective for a batch of embeddings (B, T, d) and attention masks (B, T_real)."""
        full = np.zeros((masks.shape[0], self.mask.shape[0]), np.int32)
        full[:, : self.length] = masks
        out = self._fns.batched_values(
            self.weights, embeddings, jnp.asarray(full), *self._span_args
        )
        return np.asarray(out, np.float64)

    def values_and_grads(self, embeddings: jax.Array) -> tuple[np.ndarray, np.ndarray]:
        """Objective and gradients for a batch of embeddings (B, T, d), full attention."""
        masks = jnp.broadcast_to(self.mask, (embeddings.shape[0], self.mask.shape[0]))
        values, grads = self._fns.batched_value_and_grad(
            self.weights, embeddings, masks, *self._span_args
        )
        return np.asarray(values, np.float64), np.asarray(grads, np.float32)[:, : self.length]

    def baseline_embeddings(self, token_id: int = 0) -> jax.Array:
        """The embeddings with every attributable token replaced by `token_id` (padding).

        Not all-zero vectors: RMSNorm makes a Gemma discontinuous at zero (norm(a*e) is e/|e|
        for any a > 0), so a zero baseline breaks integrated gradients' completeness.
        """
        replacement = self.model.embed(self.weights, jnp.asarray([token_id], jnp.int32))[0]
        moving = np.zeros((self.embeddings.shape[0], 1), np.float32)
        moving[self.attributable] = 1.0
        rows = jnp.asarray(moving, self.embeddings.dtype)
        return self.embeddings * (1 - rows) + replacement[None, :] * rows

    def input_embeddings(self) -> np.ndarray:
        """The real tokens' embeddings, (T_real, d) float32."""
        return np.asarray(self.embeddings, np.float32)[: self.length]


def fill_gradient_scores(objectives: Sequence[SpanObjective], rows: int | None = None) -> None:
    """One batched backward pass for the objectives (of one model) that have none yet: each
    row is its own sequence and span, padded to the longest (causal: the padding after a
    sequence cannot reach it), so each gets what `gradient_scores` would compute alone.
    `rows` pads the batch to a fixed size (one compiled shape per run)."""
    todo = [o for o in objectives if o.known_value is None]
    if not todo:
        return
    fns = todo[0]._fns
    length = max(len(o.token_ids) for o in todo)
    k = max(len(o._span_args[0]) for o in todo)
    count = max(rows or len(todo), len(todo))
    ids = np.zeros((count, length), np.int32)
    mask = np.zeros((count, length), np.int32)
    span = [np.zeros((count, k), np.int32), np.zeros((count, k), np.int32)]
    span_weights = np.zeros((count, k), np.float32)
    for row, objective in enumerate(todo):
        ids[row, : len(objective.token_ids)] = objective.token_ids
        mask[row, : objective.length] = 1
        positions, targets, weights = (np.asarray(a) for a in objective._span_args)
        span[0][row, : len(positions)] = positions
        span[1][row, : len(targets)] = targets
        span_weights[row, : len(weights)] = weights
    values, l2, gxi = fns.many_token_gradients(
        todo[0].weights,
        jnp.asarray(ids),
        jnp.asarray(mask),
        jnp.asarray(span[0]),
        jnp.asarray(span[1]),
        jnp.asarray(span_weights),
    )
    value_rows = np.asarray(values)
    l2_rows, gxi_rows = np.asarray(l2, np.float32), np.asarray(gxi, np.float32)
    for row, objective in enumerate(todo):
        n = objective.length
        objective._gradients = (float(value_rows[row]), l2_rows[row, :n], gxi_rows[row, :n])
