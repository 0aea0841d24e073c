"""The salience forward of a Gemma 3 backbone, with our attention in keras-hub's decoder blocks.

keras-hub's `Gemma3DecoderBlock` computes every layer's attention as T x T logits with a mask,
local layers included. This forward calls the block's own sublayers (norms, projections, RoPE,
feed-forward: the weights come from the caller's StatelessScope) and replaces only the
attention product, by `local_attention.attention`: a local layer then costs T x window.

The last block is computed at the span's positions only: its keys and values need every token,
but its queries, attention output and feed-forward are needed where logits are read, so the
last (global) layer costs K x T instead of T x T.

Only what salience uses is supported: no KV cache, no image tokens, no dropout, no float16
clipping. `supports` says when a backbone's blocks qualify; others keep keras-hub's call.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from .local_attention import attention


def supports(backbone: Any) -> bool:
    """Whether `forward` reproduces this backbone's blocks (Gemma 3 text blocks)."""
    from keras_hub.src.models.gemma3.gemma3_decoder_block import Gemma3DecoderBlock

    layers = list(getattr(backbone, "transformer_layers", []))
    return bool(layers) and all(
        type(layer) is Gemma3DecoderBlock
        and not layer.use_bidirectional_attention
        and not layer.dropout
        and keras.backend.standardize_dtype(layer.compute_dtype) != "float16"
        for layer in layers
    )


def forward(
    backbone: Any, embeddings: jax.Array, padding_mask: jax.Array, positions: jax.Array
) -> jax.Array:
    """Hidden states (B, K, d) after the last block, at `positions` (K,), from embeddings
    (B, T, d). Call inside a StatelessScope holding the weights."""
    layers = backbone.transformer_layers
    x = embeddings
    for layer in layers[:-1]:
        x = _block(layer, x, padding_mask, None)
    return _block(layers[-1], x, padding_mask, positions)


def keras_hub_forward(
    backbone: Any, embeddings: jax.Array, padding_mask: jax.Array, positions: jax.Array
) -> jax.Array:
    """The same hidden states through keras-hub's own blocks (any Gemma family): T x T
    attention in every layer. The reference `forward` is tested against."""
    x = embeddings
    for layer in backbone.transformer_layers:
        x = layer(x, padding_mask=padding_mask)
    at: jax.Array = jnp.take(x, positions, axis=1)
    return at


def _block(layer: Any, x: jax.Array, padding_mask: jax.Array, at: jax.Array | None) -> jax.Array:
    """`Gemma3DecoderBlock.call` without cache; outputs only at positions `at` when given."""
    normalized = layer.pre_attention_norm(x)
    residual = x if at is None else jnp.take(x, at, axis=1)
    attended = _attention(layer.attention, normalized, padding_mask, at)
    if layer.use_post_attention_norm:
        attended = layer.post_attention_norm(attended)
    attention_x = residual + attended
    normalized = layer.pre_ffw_norm(attention_x)
    hidden = keras.activations.gelu(layer.gating_ffw(normalized), approximate=True)
    out = layer.ffw_linear(hidden * layer.gating_ffw_2(normalized))
    if layer.use_post_ffw_norm:
        out = layer.post_ffw_norm(out)
    result: jax.Array = out + attention_x
    return result


def _attention(
    layer: Any, x: jax.Array, padding_mask: jax.Array, at: jax.Array | None
) -> jax.Array:
    """`CachedGemma3Attention.call` without cache, with our attention product."""
    queries_from = x if at is None else jnp.take(x, at, axis=1)
    query = layer.query_dense(queries_from)
    key = layer.key_dense(x)
    if layer.use_query_key_norm:
        query, key = layer.query_norm(query), layer.key_norm(key)
    if at is None:
        query = layer.rope_layer(query, start_index=0)
    else:
        query = layer.rope_layer(query, positions=at.astype(jnp.float32))
    key = layer.rope_layer(key, start_index=0)
    value = layer.value_dense(x)
    if layer.query_head_dim_normalize:
        scale = 1 / np.sqrt(layer.head_dim)
    else:
        scale = 1 / np.sqrt(layer.hidden_dim // layer.num_query_heads)
    window = layer.sliding_window_size if layer.use_sliding_window_attention else None
    vectors = attention(
        query,
        key,
        value,
        padding_mask,
        scale=float(scale),
        window=window,
        soft_cap=layer.logit_soft_cap,
        query_positions=at,
    )
    out: jax.Array = layer.output_dense(vectors)
    return out
