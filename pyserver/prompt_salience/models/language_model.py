"""A keras-hub Gemma backbone driven as pure JAX functions: generation with a KV cache, and
span log-probabilities as a function of the input embeddings (what salience differentiates).

Weights are passed to every jitted function as arguments (through keras' StatelessScope)
rather than captured as constants: compiled programs then do not embed a gigabyte of
weights, compile faster, and land in JAX's persistent compilation cache across restarts.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from ..errors import Cancelled
from . import decoding_head, gemma3_decode, gemma_forward, local_attention
from .shapes import bucket_length
from .tokenizer import GemmaTokenizer
from .traced_programs import StoredJit, fingerprint

# Tokens per compiled decoding call: progress and cancellation are checked between calls.
DECODE_CHUNK = 8


@dataclass(frozen=True)
class ModelInfo:
    """What a user sees of a loaded model."""

    name: str
    family: str
    context_length: int
    dtype: str
    parameters: int


class GemmaLM:
    """A loaded Gemma: tokenizer, weights, and compiled generation / scoring functions."""

    def __init__(self, backbone: Any, tokenizer: GemmaTokenizer, info: ModelInfo) -> None:
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.info = info
        self.hidden_dim: int = int(backbone.hidden_dim)
        self._variables = list(backbone.variables)
        self._lock = threading.Lock()
        # Gemma 3 decodes through layers written without weight copies (gemma3_decode.py).
        self._fast_layers = gemma3_decode.supports(backbone)
        self._low_head = self._low_precision_head()
        self.fingerprint = self._fingerprint()
        self._decode = StoredJit(self._decode_impl, "decode", self.fingerprint, donate_argnums=(2,))
        self._prefill = StoredJit(self._prefill_impl, "prefill", self.fingerprint)

    def _fingerprint(self) -> str:
        """What the traced programs depend on: architecture, precision, library versions and
        this file's code (not the weights, which are arguments)."""
        import keras_hub

        config = sorted(self.backbone.get_config().items())
        versions = (jax.__version__, keras.__version__, keras_hub.__version__)
        modules = (gemma_forward, local_attention, gemma3_decode, decoding_head)
        code = [Path(__file__), *(Path(m.__file__ or "") for m in modules)]
        head = self._low_head is not None
        return fingerprint(type(self.backbone).__name__, config, versions, *code, head)

    def _low_precision_head(self) -> decoding_head.LowPrecisionHead | None:
        """A bfloat16 copy of a tied float32 head, where decoding_head says it pays."""
        embedding = self.backbone.token_embedding
        if not getattr(embedding, "tie_weights", True):
            return None
        table = embedding.embeddings.value
        if not decoding_head.use_low_precision_head(table, jax.default_backend()):
            return None
        return decoding_head.low_precision_copy(table)

    # -- weights ---------------------------------------------------------------------------
    @property
    def weights(self) -> list[jax.Array]:
        """The current weight values, in the order the pure functions expect them."""
        return [v.value for v in self._variables]

    def _scope(self, weights: Sequence[jax.Array]) -> keras.StatelessScope:
        return keras.StatelessScope(state_mapping=list(zip(self._variables, weights, strict=True)))

    # -- embeddings and the span log-probability --------------------------------------------
    def embed(self, weights: Sequence[jax.Array], token_ids: jax.Array) -> jax.Array:
        """Gemma's input embeddings, scaled by sqrt(hidden_dim) exactly as the backbone does."""
        with self._scope(weights):
            x = self.backbone.token_embedding(token_ids)
            scaled: jax.Array = x * jnp.asarray(math.sqrt(self.hidden_dim), x.dtype)
            return scaled

    def span_logits(
        self,
        weights: Sequence[jax.Array],
        embeddings: jax.Array,
        attention_mask: jax.Array,
        positions: jax.Array,
    ) -> jax.Array:
        """Logits (B, K, vocab) at `positions` only, from input embeddings (B, T, d).

        The 262k-word output head is most of the FLOPs of a small Gemma: computing it only
        where a target token is predicted is what makes salience cheap.
        """
        with self._scope(weights):
            # Gemma 3: local layers cost T x window, the last block K x T (gemma_forward).
            forward = (
                gemma_forward.forward
                if gemma_forward.supports(self.backbone)
                else gemma_forward.keras_hub_forward
            )
            x = forward(self.backbone, embeddings, attention_mask, positions)
            x = self.backbone.layer_norm(x)
            logits = self.backbone.token_embedding(x, reverse=True)
        out: jax.Array = logits.astype(jnp.float32)
        return out

    # -- generation -------------------------------------------------------------------------
    def _empty_cache(self, length: int) -> Any:
        """Per-layer KV caches, in the layout each keras-hub family expects: Gemma 3 layers take
        a (key, value) pair of [1, L, kv_heads, head_dim]; Gemma 1/2 layers one [1, 2, L, ...]."""
        b = self.backbone
        dtype = b.token_embedding.compute_dtype
        shape = (1, length, b.num_key_value_heads, b.head_dim)
        if self.info.family == "gemma3":
            return [(jnp.zeros(shape, dtype), jnp.zeros(shape, dtype)) for _ in range(b.num_layers)]
        return [jnp.zeros((1, 2, *shape[1:]), dtype) for _ in range(b.num_layers)]

    def _run_cached(
        self, weights: Sequence[jax.Array], token_ids: jax.Array, cache: Any, index: jax.Array
    ) -> tuple[jax.Array, Any]:
        with self._scope(weights):
            x = self.embed(weights, token_ids)
            if self._fast_layers:
                return gemma3_decode.run_decoder_layers(self.backbone, x, cache, index)
            caches = []
            for i, layer in enumerate(self.backbone.transformer_layers):
                x, layer_cache = layer(x, cache=cache[i], cache_update_index=index)
                caches.append(layer_cache)
            return x, caches

    def _next_token(
        self,
        weights: Sequence[jax.Array],
        hidden: jax.Array,
        low_head: decoding_head.LowPrecisionHead | None,
    ) -> jax.Array:
        """The greedy token after the last of `hidden` (1, T, d)."""
        with self._scope(weights):
            embedding = self.backbone.token_embedding
            normed = self.backbone.layer_norm(hidden)[0, -1]
            if not getattr(embedding, "tie_weights", True):
                return jnp.argmax(embedding(normed, reverse=True)).astype(jnp.int32)
            cap = getattr(embedding, "logit_soft_cap", None)
            return decoding_head.greedy_token(embedding.embeddings.value, normed, cap, low_head)

    def _prefill_impl(
        self,
        weights: list[jax.Array],
        low_head: decoding_head.LowPrecisionHead | None,
        token_ids: jax.Array,
        length: jax.Array,
        cache: Any,
    ) -> tuple[jax.Array, Any]:
        x, cache = self._run_cached(weights, token_ids, cache, jnp.asarray(0, jnp.int32))
        last = jax.lax.dynamic_slice_in_dim(x, length - 1, 1, axis=1)
        return self._next_token(weights, last, low_head), cache

    def _decode_impl(
        self,
        weights: list[jax.Array],
        low_head: decoding_head.LowPrecisionHead | None,
        cache: Any,
        last: jax.Array,
        index: jax.Array,
        budget: jax.Array,
        stop_ids: jax.Array,
    ) -> tuple[Any, jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
        """Up to `budget` (<= DECODE_CHUNK) greedy steps in one compiled loop.

        `last` is the last emitted token, not yet fed, at position `index`. Each step feeds it
        and emits the argmax unless that is a stop token. One call per chunk keeps Python and
        argument passing out of the per-token cost, while the caller can still report progress
        and honour cancellation every few tokens.
        """

        def cond(state: tuple[Any, ...]) -> jax.Array:
            _, _, _, count, _, stopped = state
            return jnp.logical_and(count < budget, jnp.logical_not(stopped))

        def body(state: tuple[Any, ...]) -> tuple[Any, ...]:
            cache, last, index, count, out, _ = state
            x, cache = self._run_cached(weights, last.reshape(1, 1), cache, index)
            token = self._next_token(weights, x, low_head)
            stopped = jnp.any(token == stop_ids)
            out = out.at[count].set(token)
            count = count + jnp.where(stopped, 0, 1)
            return cache, token, index + 1, count, out, stopped

        out = jnp.zeros((DECODE_CHUNK,), jnp.int32)
        start = (cache, last, index, jnp.asarray(0, jnp.int32), out, jnp.asarray(False))
        cache, last, index, count, out, stopped = jax.lax.while_loop(cond, body, start)
        return cache, last, index, count, out, stopped

    def generate(
        self,
        prompt_ids: Sequence[int],
        max_new_tokens: int,
        *,
        on_token: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[int]:
        """Greedy decoding (deterministic, as LIT) until a stop token or max_new_tokens.

        Returns the new token ids without the stop token. Checks `cancel` and reports the
        count of tokens so far every DECODE_CHUNK tokens.
        """
        stop = np.full((4,), -1, np.int32)
        stop[: len(self.tokenizer.stop_ids)] = self.tokenizer.stop_ids
        stop_ids = jnp.asarray(stop)
        n = len(prompt_ids)
        padded = bucket_length(n, 64)
        cache_len = bucket_length(n + max_new_tokens, 64)
        ids = np.zeros((1, max(padded, 1)), np.int32)
        ids[0, :n] = prompt_ids
        weights = self.weights
        new: list[int] = []
        with self._lock:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            token, cache = self._prefill(
                weights,
                self._low_head,
                jnp.asarray(ids),
                jnp.asarray(n, jnp.int32),
                self._empty_cache(cache_len),
            )
            stopped = int(token) in self.tokenizer.stop_ids
            if not stopped:
                new.append(int(token))
            index = jnp.asarray(n, jnp.int32)
            while not stopped and len(new) < max_new_tokens:
                if on_token is not None:
                    on_token(len(new))
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                budget = min(DECODE_CHUNK, max_new_tokens - len(new))
                cache, token, index, count, out, stopped = self._decode(
                    weights,
                    self._low_head,
                    cache,
                    token,
                    index,
                    jnp.asarray(budget, jnp.int32),
                    stop_ids,
                )
                new.extend(int(t) for t in np.asarray(out)[: int(count)])
                stopped = bool(stopped)
        if on_token is not None:
            on_token(len(new))
        return new
