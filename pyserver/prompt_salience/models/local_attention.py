"""Causal grouped-query attention for the salience forward, with a sliding window whose cost
grows as T x window rather than T^2.

keras-hub computes a local (sliding-window) layer as full attention with a mask: every one of
the T^2 logits is computed, masked, exponentiated and differentiated. The chunked form here cuts
the sequence into blocks of `block` queries; each block attends only to the keys of its own
block and of the blocks the window reaches back into, so a layer costs T x (window + block).
`attention` uses it once the sequence is longer than the window, where the window starts to
hide keys (figures: `benchmarks/kernel_profile.py`).

Shapes: q (B, T, N, H) query heads, k and v (B, S, KV, H) key/value heads (N a multiple of KV),
`key_mask` (B, S) true for real tokens. Queries and keys share positions 0..T-1 unless
`query_positions` says otherwise. The numerics follow keras-hub's `CachedGemma3Attention`:
logits in the inputs' dtype, softmax in float32, and a query that sees no key outputs zeros.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

# Queries per block, as a fraction of the window: each block computes (window + block) logits
# per query, so small blocks waste little; below ~64 the products get too small to run fast.
# Measured on a 2-core CPU (benchmarks/kernel_profile.py): window/4 or /8 beat window/2 and
# window from 768 tokens on.
BLOCKS_PER_WINDOW = 4
# Masked logits, as keras' Softmax (a finite number: a row with no key stays finite).
_MASKED = -1e9


def attention(
    q: jax.Array,
    k: jax.Array,
    v: jax.Array,
    key_mask: jax.Array,
    *,
    scale: float,
    window: int | None,
    soft_cap: float | None = None,
    query_positions: jax.Array | None = None,
) -> jax.Array:
    """Causal attention (B, T, N, H), local within `window` tokens (the query's own included)
    when `window` is set; chunked when the sequence is long enough for that to pay."""
    # Up to `window` tokens the window hides nothing: one masked product is cheaper.
    if query_positions is None and window is not None and q.shape[1] > window:
        return chunked_local_attention(
            q, k, v, key_mask, scale=scale, window=window, soft_cap=soft_cap
        )
    return masked_attention(
        q,
        k,
        v,
        key_mask,
        scale=scale,
        window=window,
        soft_cap=soft_cap,
        query_positions=query_positions,
    )


def masked_attention(
    q: jax.Array,
    k: jax.Array,
    v: jax.Array,
    key_mask: jax.Array,
    *,
    scale: float,
    window: int | None,
    soft_cap: float | None = None,
    query_positions: jax.Array | None = None,
) -> jax.Array:
    """Every query against every key, then masked: T x S logits."""
    t, s = q.shape[1], k.shape[1]
    q_pos = jnp.arange(t) if query_positions is None else query_positions
    k_pos = jnp.arange(s)
    allowed = _band(q_pos[:, None] - k_pos[None, :], window)  # (T, S)
    allowed = jnp.logical_and(allowed[None], key_mask[:, None, :].astype(bool))  # (B, T, S)
    grouped = _grouped(q * jnp.asarray(scale, q.dtype), k.shape[2])  # (B, T, KV, G, H)
    logits = jnp.einsum("btkgh,bskh->bkgts", grouped, k)
    probs = _masked_softmax(logits, allowed[:, None, None], soft_cap)
    out = jnp.einsum("bkgts,bskh->btkgh", probs, v)
    return _wipe_unseeing(out.reshape(q.shape), allowed)


def chunked_local_attention(
    q: jax.Array,
    k: jax.Array,
    v: jax.Array,
    key_mask: jax.Array,
    *,
    scale: float,
    window: int,
    soft_cap: float | None = None,
    block: int | None = None,
) -> jax.Array:
    """Sliding-window attention computed block by block: T x (reach + 1) x block logits."""
    b, t, n, h = q.shape
    kv = k.shape[2]
    block = max(window // BLOCKS_PER_WINDOW, 1) if block is None else block
    reach = -(-(window - 1) // block)  # earlier blocks a block's first query can see
    blocks = -(-t // block)
    padded = blocks * block

    def key_blocks(x: jax.Array) -> jax.Array:
        """(B, blocks, (reach + 1) * block, ...): each block's keys, from `reach` blocks back."""
        pad = [(0, 0), (reach * block, padded - t)] + [(0, 0)] * (x.ndim - 2)
        x = jnp.pad(x, pad).reshape(b, blocks + reach, block, *x.shape[2:])
        return jnp.concatenate([x[:, j : j + blocks] for j in range(reach + 1)], axis=2)

    qb = jnp.pad(q * jnp.asarray(scale, q.dtype), [(0, 0), (0, padded - t), (0, 0), (0, 0)])
    qb = qb.reshape(b, blocks, block, kv, n // kv, h)
    kb, vb = key_blocks(k), key_blocks(v)  # (B, blocks, W', KV, H)
    # Relative distance query - key is the same in every block: one (block, W') band.
    distance = jnp.arange(block)[:, None] + reach * block - jnp.arange((reach + 1) * block)
    band = _band(distance, window)
    real_keys = key_blocks(key_mask.astype(bool))  # (B, blocks, W'); padding in front: False
    allowed = jnp.logical_and(band[None, None], real_keys[:, :, None, :])  # (B, nb, blk, W')
    logits = jnp.einsum("bcqkgh,bcskh->bckgqs", qb, kb)
    probs = _masked_softmax(logits, allowed[:, :, None, None], soft_cap)
    out = jnp.einsum("bckgqs,bcskh->bcqkgh", probs, vb).reshape(b, padded, n, h)[:, :t]
    return _wipe_unseeing(out, allowed.reshape(b, padded, -1)[:, :t])


def _band(distance: jax.Array, window: int | None) -> jax.Array:
    """Which (query - key) distances a causal query sees: 0..window-1, or all >= 0."""
    causal = distance >= 0
    return causal if window is None else jnp.logical_and(causal, distance < window)


def _grouped(q: jax.Array, kv_heads: int) -> jax.Array:
    """(B, T, N, H) -> (B, T, KV, N // KV, H): the query heads that share a key head."""
    b, t, n, h = q.shape
    return q.reshape(b, t, kv_heads, n // kv_heads, h)


def _masked_softmax(logits: jax.Array, allowed: jax.Array, soft_cap: float | None) -> jax.Array:
    if soft_cap is not None:
        logits = jnp.tanh(logits / soft_cap) * soft_cap
    logits32 = jnp.where(allowed, logits.astype(jnp.float32), _MASKED)
    return jax.nn.softmax(logits32, axis=-1).astype(logits.dtype)


def _wipe_unseeing(out: jax.Array, allowed: jax.Array) -> jax.Array:
    """Zero the output of a query that sees no key (keras-hub does the same)."""
    sees = jnp.any(allowed, axis=-1)[:, :, None, None]  # (B, T, 1, 1)
    return jnp.where(sees, out, jnp.zeros_like(out))
