"""Gemma 3's decoder layers for a few tokens against a KV cache, without weight copies.

keras-hub's `EinsumDense` computes the query ('btd,ndh->btnh') and attention output
('btnh,nhd->btd') projections as einsums that XLA's CPU backend lowers to a transpose of the
whole kernel followed by a plain dot: for one decoded token, each layer then copies its two
largest attention kernels before reading them (162 transposes per step for Gemma 3 270M).
Here the same maths is written as dots on the stored layouts (a batched dot per query head, a
reshape of the output kernel), and the norms and rotary embedding are keras-hub's own layers,
so the function follows the backbone's configuration. The 18 layers of one decoded token took
39 ms against 119 ms through keras-hub's blocks (benchmarks/generation_bench.py).

Text-only Gemma 3 (no vision tokens, no padding inside the cache): what greedy decoding feeds.
The caller runs this inside the keras `StatelessScope` that maps the weights.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import gemma_forward


def _project(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """x (T, d) through an (heads, d, head_dim) kernel: (T, heads, head_dim).

    One batched dot over heads reads each head's (d, head_dim) block where it lies; the einsum
    keras-hub writes makes XLA copy the kernel into (d, heads, head_dim) first.
    """
    heads = kernel.shape[0]
    batched = jnp.broadcast_to(x[None], (heads, *x.shape))
    out = jax.lax.dot_general(batched, kernel, (((2,), (1,)), ((0,), (0,))))
    return jnp.transpose(out, (1, 0, 2))


def _attention(layer: Any, x: jax.Array, cache: Any, index: jax.Array) -> tuple[jax.Array, Any]:
    """Cached attention for x (1, T, d) at positions index..index+T-1; the cache in keras-hub's
    layout, a (key, value) pair of (1, L, kv_heads, head_dim)."""
    attention = layer.attention
    key_cache, value_cache = cache
    n_heads, head_dim = attention.num_query_heads, attention.head_dim
    kv_heads = attention.num_key_value_heads
    t = x.shape[1]
    length = key_cache.shape[1]

    query = _project(x[0], attention.query_dense.kernel.value)[None]
    key = _project(x[0], attention.key_dense.kernel.value)[None]
    value = _project(x[0], attention.value_dense.kernel.value)[None]
    if attention.use_query_key_norm:
        query = attention.query_norm(query)
        key = attention.key_norm(key)
    query = attention._apply_rope(query, index)
    key = attention._apply_rope(key, index)
    start = (0, index, 0, 0)
    key_cache = jax.lax.dynamic_update_slice(key_cache, key.astype(key_cache.dtype), start)
    value_cache = jax.lax.dynamic_update_slice(value_cache, value.astype(value_cache.dtype), start)

    if attention.query_head_dim_normalize:
        scale = 1 / np.sqrt(head_dim)
    else:
        scale = 1 / np.sqrt(attention.hidden_dim // n_heads)
    query = query * jnp.asarray(scale, query.dtype)
    groups = n_heads // kv_heads
    # (T, kv, g, h) . (L, kv, h) -> (kv, g, T, L)
    q = query[0].reshape(t, kv_heads, groups, head_dim)
    logits = jnp.einsum("tkgh,skh->kgts", q, key_cache[0])
    if attention.logit_soft_cap is not None:
        cap = attention.logit_soft_cap
        logits = jnp.tanh(logits / cap) * cap
    rows = index + jnp.arange(t)[:, None]
    cols = jnp.arange(length)[None, :]
    visible = cols <= rows
    if attention.use_sliding_window_attention:
        visible &= rows - cols < attention.sliding_window_size
    logits = jnp.where(visible, logits.astype(jnp.float32), -1e9)
    weights = jax.nn.softmax(logits, axis=-1).astype(value_cache.dtype)
    mixed = jnp.einsum("kgts,skh->tkgh", weights, value_cache[0]).reshape(t, n_heads * head_dim)
    out_kernel = attention.output_dense.kernel.value.reshape(n_heads * head_dim, -1)
    out = jnp.dot(mixed, out_kernel)[None]
    return out, (key_cache, value_cache)


def _decoder_layer(layer: Any, x: jax.Array, cache: Any, index: jax.Array) -> tuple[jax.Array, Any]:
    """One Gemma 3 decoder block, as `Gemma3DecoderBlock.call` with a cache (no padding)."""
    attended, cache = _attention(layer, layer.pre_attention_norm(x), cache, index)
    if layer.use_post_attention_norm:
        attended = layer.post_attention_norm(attended)
    x = x + attended
    normed = layer.pre_ffw_norm(x)
    gate = jnp.dot(normed, layer.gating_ffw.kernel.value)
    up = jnp.dot(normed, layer.gating_ffw_2.kernel.value)
    mlp = jnp.dot(jax.nn.gelu(gate, approximate=True) * up, layer.ffw_linear.kernel.value)
    if layer.use_post_ffw_norm:
        mlp = layer.post_ffw_norm(mlp)
    return x + mlp, cache


def run_decoder_layers(
    backbone: Any, x: jax.Array, caches: Any, index: jax.Array
) -> tuple[jax.Array, list[Any]]:
    """Scaled embeddings x (1, T, d) at positions index.. through every layer, updating the
    per-layer caches. Same maths as the backbone's layers called with `cache_update_index`."""
    updated = []
    for layer, cache in zip(backbone.transformer_layers, caches, strict=True):
        x, cache = _decoder_layer(layer, x, cache, index)
        updated.append(cache)
    return x, updated


def supports(backbone: Any) -> bool:
    """Whether `run_decoder_layers` covers this backbone: Gemma 3 text blocks (as
    `gemma_forward.supports`) and no vision encoder."""
    return gemma_forward.supports(backbone) and getattr(backbone, "vision_encoder", None) is None
