"""The greedy token from a final hidden state, reading the output head as cheaply as it can.

The tied output head (vocabulary x hidden, 671 MB in float32 for Gemma 3 270M) is read once per
decoded token, so its form sets much of the decode speed:

- float32: `argmax(E @ h)`, a matrix-vector product reading E once (on a 2-core CPU it runs
  at the memory bandwidth: about 40-55 ms for Gemma 3 270M's head).
- A bfloat16 copy of E halves what is read. On XLA CPU only a fused multiply-and-sum
  (`sum(E16.astype(f32) * h, axis=1)`) reads it once; a bfloat16 `jnp.dot` converts the
  whole copy to float32 on every call. Its top candidates are rescored in float32 and the
  float32 argmax among them is taken. A rounding bound then proves (inside the compiled step)
  that the float32 winner is among the candidates; when the bound cannot prove it, the full
  float32 head decides. So the token is float32 greedy decoding's, by construction.

Whether the copy pays depends on the machine (`use_low_precision_head`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

# Candidates rescored in float32. The bound below fails (and the full head decides) only when
# more than this many logits lie within the rounding error of the top one.
CANDIDATES = 16

# Largest low-precision copy of the head we are willing to add to the model's memory.
MAX_COPY_BYTES = 1 << 30


class LowPrecisionHead(NamedTuple):
    """A bfloat16 copy of the head, and for each row what bounds its logit's error per unit
    of |h| (see `low_precision_copy`)."""

    weights: jax.Array  # (vocab, hidden) bfloat16
    error_norms: jax.Array  # (vocab,) float32


def use_low_precision_head(embeddings: Any, platform: str) -> bool:
    """Whether to decode with a bfloat16 copy of a float32 head.

    Only float32 heads (a bfloat16 model has nothing to halve), only within MAX_COPY_BYTES
    (335 MB for Gemma 3 270M; Gemma 2 2B's would be 1.2 GB and 9B's 1.9 GB: skipped), and not on
    CPU: on a 2-core AVX-512 EPYC (benchmarks/generation_bench.py) XLA's fused bfloat16 pass
    is compute-bound, and a step with it took 63 ms against 54 ms for the float32 head.
    """
    if embeddings.dtype != jnp.float32 or platform == "cpu":
        return False
    return int(embeddings.size) * 2 <= MAX_COPY_BYTES


def low_precision_copy(embeddings: jax.Array) -> LowPrecisionHead:
    """The bfloat16 copy and its per-row error bounds, computed once per loaded model.

    The rough logit of word v differs from the float32 one by (bf16(E[v]) - E[v]) . h, at most
    |bf16(E[v]) - E[v]| |h| (Cauchy-Schwarz). Each float32 sum over the hidden dimension (the
    rough pass, the rescoring, the full head it stands for) is off by at most d 2^-24 |E[v]| |h|,
    so three of those are added (they also cover rows that bfloat16 holds exactly).
    """
    table = embeddings.astype(jnp.float32)
    rounded = table.astype(jnp.bfloat16)
    residual = rounded.astype(jnp.float32) - table
    rounding = jnp.sqrt(jnp.sum(jnp.square(residual), axis=1))
    sums = 3 * table.shape[1] * 2.0**-24 * jnp.sqrt(jnp.sum(jnp.square(table), axis=1))
    return LowPrecisionHead(rounded, rounding + sums)


def _top_candidates(scores: jax.Array, k: int, block: int = 256) -> jax.Array:
    """Indices of the k highest scores, best first, from the k blocks with the highest maxima.

    Those blocks hold the k highest scores, and every score outside the result is at most the
    lowest score in it. Cheaper than `top_k` over the whole vocabulary, which XLA CPU lowers
    to a full sort when the values are used.
    """
    rows = scores.shape[0] // block
    if rows * block != scores.shape[0] or rows < k:
        return jax.lax.top_k(scores, k)[1]
    blocks = scores.reshape(rows, block)
    _, best = jax.lax.top_k(jnp.max(blocks, axis=1), k)
    _, inside = jax.lax.top_k(blocks[best].reshape(-1), k)
    flat = best[:, None] * block + jnp.arange(block)[None, :]
    return flat.reshape(-1)[inside]


def _logits(rows: jax.Array, hidden: jax.Array, soft_cap: float | None) -> jax.Array:
    logits = jnp.dot(rows, hidden)
    if soft_cap is not None:
        logits = jnp.tanh(logits / soft_cap) * soft_cap
    return logits


def greedy_token(
    embeddings: jax.Array,
    hidden: jax.Array,
    soft_cap: float | None = None,
    low: LowPrecisionHead | None = None,
) -> jax.Array:
    """argmax over the vocabulary of the float32 logits `E @ hidden` (hidden: (d,)).

    With `low`, the same token, found by reading the bfloat16 copy (see the module docstring).
    """
    hidden = hidden.astype(embeddings.dtype)
    if low is None:
        return jnp.argmax(_logits(embeddings, hidden, soft_cap)).astype(jnp.int32)

    # Tied to this step's hidden state: inside the decoding loop XLA would otherwise hoist the
    # conversion out of the loop and write (then read, every step) a float32 copy of the head.
    barrier: Any = jax.lax.optimization_barrier  # untyped in jax
    rough_weights, h32 = barrier((low.weights, hidden.astype(jnp.float32)))
    # One fused pass over the copy: each logit within `error` of its float32 value.
    rough = jnp.sum(rough_weights.astype(jnp.float32) * h32, axis=1)
    error = low.error_norms * jnp.linalg.norm(h32)
    candidates = _top_candidates(rough, CANDIDATES)
    top = jnp.take(rough, candidates)
    exact = _logits(jnp.take(embeddings, candidates, axis=0), hidden, soft_cap)
    winner = candidates[jnp.argmax(exact)].astype(jnp.int32)
    # A word outside the candidates scores at most min(top) roughly, so at most
    # min(top) + max(error) exactly; the first candidate scores at least top[0] - its error.
    # When that is below, no outside word can beat the candidates (tanh keeps the order).
    proven = jnp.min(top) + jnp.max(error) < top[0] - error[candidates[0]]
    token: jax.Array = jax.lax.cond(
        proven,
        lambda: winner,
        lambda: jnp.argmax(_logits(embeddings, hidden, soft_cap)).astype(jnp.int32),
    )
    return token
