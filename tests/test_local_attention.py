"""The salience forward with chunked sliding-window attention agrees with keras-hub's blocks.

The kernels on random arrays (block sizes, lengths that are not multiples of the window,
padding, masked-out tokens); the forward on the tiny random Gemma 3 (window 16); and the real
Gemma 3 270M past its 512-token window, where the chunked form runs in 15 of its 18 layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.models import gemma_forward
from prompt_salience.models.local_attention import (
    attention,
    chunked_local_attention,
    masked_attention,
)
from prompt_salience.salience.objective import SpanObjective
from prompt_salience.salience.registry import get_method
from tiny_models import tiny_gemma2, tiny_gemma3


def _qkv(t: int, seed: int = 0) -> tuple[jax.Array, jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(2, t, 4, 8)).astype(np.float32)
    k = rng.normal(size=(2, t, 2, 8)).astype(np.float32)
    v = rng.normal(size=(2, t, 2, 8)).astype(np.float32)
    return jnp.asarray(q), jnp.asarray(k), jnp.asarray(v)


def _key_mask(t: int, real: int, holes: Sequence[int] = ()) -> jax.Array:
    """Batch row 0: all real. Row 1: `real` tokens, then padding, with `holes` masked out."""
    mask = np.ones((2, t), bool)
    mask[1, real:] = False
    mask[1, list(holes)] = False
    return jnp.asarray(mask)


@pytest.mark.parametrize(
    ("t", "window", "block", "soft_cap"),
    [(37, 8, 8, None), (37, 8, 3, 5.0), (40, 16, 4, None), (17, 16, 16, None), (5, 16, 4, 5.0)],
)
def test_chunked_local_attention_equals_the_masked_form(
    t: int, window: int, block: int, soft_cap: float | None
) -> None:
    q, k, v = _qkv(t)
    mask = _key_mask(t, real=t - 4, holes=range(3, min(3 + window + 2, t - 4)))
    kwargs: dict[str, Any] = {"scale": 0.3, "window": window, "soft_cap": soft_cap}

    def loss(fn: Any, q: jax.Array, k: jax.Array, v: jax.Array) -> jax.Array:
        return jnp.sum(fn(q, k, v, mask, **kwargs) ** 2)

    def chunked(*args: Any, **kw: Any) -> jax.Array:
        return chunked_local_attention(*args, block=block, **kw)

    expected = masked_attention(q, k, v, mask, **kwargs)
    actual = chunked(q, k, v, mask, **kwargs)
    np.testing.assert_allclose(actual, expected, atol=1e-5)
    grads = jax.grad(lambda *a: loss(masked_attention, *a), argnums=(0, 1, 2))(q, k, v)
    chunked_grads = jax.grad(lambda *a: loss(chunked, *a), argnums=(0, 1, 2))(q, k, v)
    for got, want in zip(chunked_grads, grads, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_the_window_hides_keys_it_should_and_no_others() -> None:
    """Changing a key outside every query's window changes nothing; inside, it does."""
    t, window = 30, 8
    q, k, v = _qkv(t)
    mask = jnp.ones((2, t), bool)
    out = attention(q, k, v, mask, scale=0.3, window=window)
    moved = v.at[:, 10].add(5.0)  # seen by queries 10..17 only
    diff = np.abs(np.asarray(attention(q, k, moved, mask, scale=0.3, window=window) - out))
    changed = np.nonzero(diff.max(axis=(0, 2, 3)) > 1e-6)[0]
    assert changed.tolist() == list(range(10, 10 + window))


def test_a_query_that_sees_no_key_outputs_zeros() -> None:
    t, window = 24, 4
    q, k, v = _qkv(t)
    mask = _key_mask(t, real=t, holes=range(8, 16))  # queries 11..15 see only holes
    for fn in (masked_attention, chunked_local_attention):
        out = np.asarray(fn(q, k, v, mask, scale=0.3, window=window))
        assert np.all(out[1, 11:16] == 0), fn.__name__
        assert np.all(np.abs(out[1, 16:]).max(axis=(1, 2)) > 0), fn.__name__


def _keras_hub_logits(model: Any, emb: jax.Array, mask: jax.Array, positions: jax.Array) -> Any:
    with model._scope(model.weights):
        x = gemma_forward.keras_hub_forward(model.backbone, emb, mask, positions)
        return model.backbone.token_embedding(model.backbone.layer_norm(x), reverse=True)


@pytest.mark.parametrize(
    ("t", "real", "dtype"),
    [(12, 12, "float32"), (45, 37, "float32"), (70, 53, "float32"), (45, 37, "bfloat16")],
)
def test_tiny_gemma3_forward_equals_keras_hubs_blocks(t: int, real: int, dtype: str) -> None:
    model = tiny_gemma3(dtype=dtype)
    assert gemma_forward.supports(model.backbone)
    ids = np.random.default_rng(t).integers(3, 97, size=(t,)).astype(np.int32)
    ids[0] = 2
    mask = np.zeros((1, t), np.int32)
    mask[0, :real] = 1
    emb = model.embed(model.weights, jnp.asarray(ids))[None]
    for positions in (jnp.arange(real), jnp.asarray([real - 1, real // 2, 0])):
        ours = model.span_logits(model.weights, emb, jnp.asarray(mask), positions)
        expected = _keras_hub_logits(model, emb, jnp.asarray(mask), positions)
        tolerance = 1e-4 if dtype == "float32" else 0.1
        scale = float(np.abs(np.asarray(expected, np.float32)).max())
        np.testing.assert_allclose(
            np.asarray(ours), np.asarray(expected, np.float32), atol=tolerance * scale
        )


def test_gemma2_keeps_keras_hubs_blocks() -> None:
    model = tiny_gemma2()
    assert not gemma_forward.supports(model.backbone)
    ids = jnp.asarray([2, 5, 9, 11, 40], jnp.int32)
    emb = model.embed(model.weights, ids)[None]
    mask, positions = jnp.ones((1, 5), jnp.int32), jnp.arange(5)
    np.testing.assert_array_equal(
        model.span_logits(model.weights, emb, mask, positions),
        _keras_hub_logits(model, emb, mask, positions).astype(jnp.float32),
    )


class KerasHubScoring:
    """The real model scored through keras-hub's own blocks: the reference for salience."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.hidden_dim = model.hidden_dim

    @property
    def weights(self) -> list[jax.Array]:
        weights: list[jax.Array] = self.model.weights
        return weights

    def embed(self, weights: Sequence[jax.Array], token_ids: jax.Array) -> jax.Array:
        embedded: jax.Array = self.model.embed(weights, token_ids)
        return embedded

    def span_logits(
        self,
        weights: Sequence[jax.Array],
        embeddings: jax.Array,
        attention_mask: jax.Array,
        positions: jax.Array,
    ) -> jax.Array:
        with self.model._scope(weights):
            x = gemma_forward.keras_hub_forward(
                self.model.backbone, embeddings, attention_mask, positions
            )
            x = self.model.backbone.layer_norm(x)
            logits: jax.Array = self.model.backbone.token_embedding(x, reverse=True)
        return logits.astype(jnp.float32)


def test_real_gemma3_past_its_window_logits_and_salience_match_keras_hub(
    real_model: Any,
) -> None:
    window = real_model.backbone.sliding_window_size
    text = "Soup of the day: onion, 4 euros. Quiche lorraine: ham, cheese, 7 euros. " * 60
    ids = [real_model.tokenizer.bos_id, *real_model.tokenizer.encode(text).ids][:1100]
    assert len(ids) == 1100 > 2 * window  # the chunked form runs, over several blocks
    reference = KerasHubScoring(real_model)
    ours_objective = SpanObjective(real_model, ids, 1084, 1100)
    emb = ours_objective.embeddings[None]
    mask = ours_objective.mask[None]
    positions = jnp.arange(1080, 1100)
    ours = np.asarray(real_model.span_logits(real_model.weights, emb, mask, positions))
    expected = np.asarray(reference.span_logits(real_model.weights, emb, mask, positions))
    np.testing.assert_allclose(ours, expected, atol=2e-3 * np.abs(expected).max())
    assert (ours.argmax(-1) == expected.argmax(-1)).all()

    grad_l2 = get_method("grad_l2")
    ours_scores = grad_l2.attribute(ours_objective).token_scores
    reference_scores = grad_l2.attribute(SpanObjective(reference, ids, 1084, 1100)).token_scores
    assert ours_objective.known_value is not None
    correlation = np.corrcoef(ours_scores[1:1084], reference_scores[1:1084])[0, 1]
    assert correlation > 0.999
    # Tokens beyond the last window still count, through the global layers.
    assert np.abs(ours_scores[1 : 1084 - window]).max() > 0
