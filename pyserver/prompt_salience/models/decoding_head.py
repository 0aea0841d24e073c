"""The greedy token from a final hidden state, reading the output head as cheaply as it can.

The tied output head (vocabulary x hidden, 671 MB in float32 for Gemma 3 270M) is read once per
decoded token, so its form sets much of the decode speed:

- `argmax(E @ h)` as a matrix-vector product reads E where it lies. keras-hub's reverse
  embedding writes `h @ transpose(E)`, which XLA may turn into a copy of E first.
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

# bfloat16 keeps 8 significant bits: rounding moves a weight by at most 2^-8 of itself.
_BF16_RELATIVE_ERROR = 2.0**-8
# Slack for float32 accumulation over the hidden dimension (far below the bf16 term).
_BOUND_SLACK = 1.01


class LowPrecisionHead(NamedTuple):
    """A bfloat16 copy of the head and each row's Euclidean norm (for the error bound)."""

    weights: jax.Array  # (vocab, hidden) bfloat16
    row_norms: jax.Array  # (vocab,) float32


def use_low_precision_head(embeddings: Any, platform: str) -> bool:
    """Whether to decode with a bfloat16 copy of a float32 head.

    Only float32 heads (a bfloat16 model has nothing to halve), only within MAX_COPY_BYTES, and
    not on CPU: measured on a 2-core AVX-512 EPYC (benchmarks/generation_bench.py), XLA's fused
    bfloat16 pass is compute-bound and slower than the float32 matrix-vector product.
    """
    if embeddings.dtype != jnp.float32 or platform == "cpu":
        return False
    return int(embeddings.size) * 2 <= MAX_COPY_BYTES


def low_precision_copy(embeddings: jax.Array) -> LowPrecisionHead:
    """The bfloat16 copy and the float32 row norms, computed once per loaded model."""
    norms = jnp.sqrt(jnp.sum(jnp.square(embeddings.astype(jnp.float32)), axis=1))
    return LowPrecisionHead(embeddings.astype(jnp.bfloat16), norms)


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

    h32 = hidden.astype(jnp.float32)
    # One fused pass over the copy: each logit within `error` of its float32 value.
    rough = jnp.sum(low.weights.astype(jnp.float32) * h32, axis=1)
    error = _BOUND_SLACK * _BF16_RELATIVE_ERROR * low.row_norms * jnp.linalg.norm(h32)
    top, candidates = jax.lax.top_k(rough, CANDIDATES)
    exact = _logits(jnp.take(embeddings, candidates, axis=0), hidden, soft_cap)
    winner = candidates[jnp.argmax(exact)].astype(jnp.int32)
    # A word outside the candidates scores at most top[-1] roughly, so at most
    # top[-1] + max(error) exactly; the first candidate scores at least top[0] - its error.
    # When that is below, no outside word can beat the candidates (tanh keeps the order).
    proven = top[-1] + jnp.max(error) < top[0] - error[candidates[0]]
    token: jax.Array = jax.lax.cond(
        proven,
        lambda: winner,
        lambda: jnp.argmax(_logits(embeddings, hidden, soft_cap)).astype(jnp.int32),
    )
    return token
