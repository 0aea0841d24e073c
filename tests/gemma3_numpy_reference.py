"""An independent NumPy forward of Gemma 3 read straight from a GGUF file: the reference our
conversion and our salience forward are checked against (test_conversion_reference.py).

It imports only numpy and gguf (never our model code or keras-hub), and follows the published
architecture as llama.cpp stores it: RMSNorm weights are stored as 1 + w, so a norm is
x / rms(x) * stored; Q/K norms per head; queries scaled by 1/sqrt(head_dim); RoPE in
rotate-half form with base 10k on local layers and 1M on global ones (every 6th layer is
global); local layers see the last `window` keys; post-attention and post-ffw norms;
GELU-tanh gating; embeddings scaled by sqrt(hidden); the output head tied to the embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

LOCAL_ROPE_BASE = 10_000.0
GLOBAL_EVERY = 6  # layers 5, 11, 17, ... attend globally


@dataclass(frozen=True)
class Gemma3Reference:
    """Dequantized weights and the hyper-parameters read from the GGUF metadata."""

    tensors: dict[str, np.ndarray]
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    window: int
    global_rope_base: float
    rope_scaling: float
    eps: float

    @property
    def hidden(self) -> int:
        return int(self.tensors["token_embd.weight"].shape[1])


def load(path: str) -> Gemma3Reference:
    """Read every tensor as float32 in [out, in] layout, with the metadata the forward needs."""
    reader = GGUFReader(path)

    def field(key: str, default: object = None) -> object:
        f = reader.fields.get("gemma3." + key)
        return default if f is None else f.contents()

    tensors = {
        t.name: np.asarray(dequantize(t.data, t.tensor_type), np.float32).reshape(
            tuple(int(s) for s in reversed(t.shape))
        )
        for t in reader.tensors
    }
    return Gemma3Reference(
        tensors=tensors,
        layers=int(str(field("block_count"))),
        heads=int(str(field("attention.head_count"))),
        kv_heads=int(str(field("attention.head_count_kv"))),
        head_dim=int(str(field("attention.key_length"))),
        window=int(str(field("attention.sliding_window"))),
        global_rope_base=float(str(field("rope.freq_base", 1_000_000.0))),
        rope_scaling=float(str(field("rope.scaling.factor", 1.0))),
        eps=float(str(field("attention.layer_norm_rms_epsilon", 1e-6))),
    )


def rms_norm(x: np.ndarray, stored: np.ndarray, eps: float) -> np.ndarray:
    """Gemma's x * (1 + w), with llama.cpp's stored weight already equal to 1 + w."""
    normed: np.ndarray = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * stored
    return normed


def rope(x: np.ndarray, base: float, scaling: float) -> np.ndarray:
    """Rotate-half RoPE over the last axis of x (heads, T, head_dim), positions 0..T-1."""
    half = x.shape[-1] // 2
    inverse = base ** (-np.arange(half, dtype=np.float64) / half)
    angles = (np.arange(x.shape[1], dtype=np.float64) / scaling)[:, None] * inverse[None]
    cos, sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    return out


def attention(m: Gemma3Reference, i: int, x: np.ndarray) -> np.ndarray:
    """Causal self-attention of layer i on normalized hidden states x (T, d)."""
    w = m.tensors
    p = f"blk.{i}."
    t, hd = x.shape[0], m.head_dim
    q = (x @ w[p + "attn_q.weight"].T).reshape(t, m.heads, hd).transpose(1, 0, 2)
    k = (x @ w[p + "attn_k.weight"].T).reshape(t, m.kv_heads, hd).transpose(1, 0, 2)
    v = (x @ w[p + "attn_v.weight"].T).reshape(t, m.kv_heads, hd).transpose(1, 0, 2)
    q, k = (
        rms_norm(q, w[p + "attn_q_norm.weight"], m.eps),
        rms_norm(k, w[p + "attn_k_norm.weight"], m.eps),
    )
    is_global = i % GLOBAL_EVERY == GLOBAL_EVERY - 1
    base, scaling = (m.global_rope_base, m.rope_scaling) if is_global else (LOCAL_ROPE_BASE, 1.0)
    q, k = rope(q, base, scaling), rope(k, base, scaling)
    group = m.heads // m.kv_heads
    k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
    scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(hd))
    distance = np.arange(t)[:, None] - np.arange(t)[None, :]
    visible = distance >= 0
    if not is_global:
        visible &= distance < m.window
    scores = np.where(visible[None], scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    out = (probs @ v).transpose(1, 0, 2).reshape(t, m.heads * hd)
    result: np.ndarray = out @ w[p + "attn_output.weight"].T
    return result


def hidden_states(m: Gemma3Reference, token_ids: list[int]) -> np.ndarray:
    """Final-normed hidden states (T, d) of one unpadded sequence."""
    w = m.tensors
    x = w["token_embd.weight"][np.asarray(token_ids)] * np.float32(np.sqrt(m.hidden))
    for i in range(m.layers):
        p = f"blk.{i}."
        attended = attention(m, i, rms_norm(x, w[p + "attn_norm.weight"], m.eps))
        x = x + rms_norm(attended, w[p + "post_attention_norm.weight"], m.eps)
        h = rms_norm(x, w[p + "ffn_norm.weight"], m.eps)
        gated = gelu_tanh(h @ w[p + "ffn_gate.weight"].T) * (h @ w[p + "ffn_up.weight"].T)
        x = x + rms_norm(gated @ w[p + "ffn_down.weight"].T, w[p + "post_ffw_norm.weight"], m.eps)
    return rms_norm(x, w["output_norm.weight"], m.eps)


def logits(m: Gemma3Reference, token_ids: list[int], positions: list[int]) -> np.ndarray:
    """Full-vocabulary logits (K, vocab) at `positions`, through the tied head."""
    head: np.ndarray = (
        hidden_states(m, token_ids)[np.asarray(positions)] @ m.tensors["token_embd.weight"].T
    )
    return head
