"""Greedy generation for several prompts at once, each row as it would decode alone.

Each row keeps its own position: prompts are padded on the right to one length, the prefill
reads each row's next token after its own last prompt token, and every decoding step writes
each row's key and value at that row's own index (`jax.vmap` over the single-row step of
`GemmaLM`). A padded slot of the cache is overwritten by the row's own token at the step that
first lets the row see it, so padding never reaches a real token, and positions (hence the
rotary embedding) are the ones the row would have alone. Rows that stop early ride along, their
further tokens dropped, until every row has stopped or the budget is spent.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import Cancelled
from .shapes import bucket_length

if TYPE_CHECKING:
    from .language_model import GemmaLM

CHUNK = 8  # decoding steps per compiled call: cancellation is checked between calls

_PROGRAMS: weakref.WeakKeyDictionary[Any, tuple[Callable[..., Any], Callable[..., Any]]] = (
    weakref.WeakKeyDictionary()
)


def _programs(model: GemmaLM) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The model's batched prefill and decoding chunk, compiled once per model and shape."""
    found = _PROGRAMS.get(model)
    if found is not None:
        return found

    def prefill_row(weights: list[jax.Array], ids: jax.Array, length: jax.Array, cache: Any) -> Any:
        x, cache = model._run_cached(weights, ids[None], cache, jnp.asarray(0, jnp.int32))
        last = jax.lax.dynamic_slice_in_dim(x, length - 1, 1, axis=1)
        return model._next_token(weights, last, model._low_head), cache

    def step_row(weights: list[jax.Array], token: jax.Array, cache: Any, index: jax.Array) -> Any:
        x, cache = model._run_cached(weights, token.reshape(1, 1), cache, index)
        return model._next_token(weights, x, model._low_head), cache

    prefill = jax.vmap(prefill_row, in_axes=(None, 0, 0, 0))
    step = jax.vmap(step_row, in_axes=(None, 0, 0, 0))

    def decode(
        weights: list[jax.Array],
        cache: Any,
        last: jax.Array,  # (B,) the last emitted token of each row, not yet fed
        index: jax.Array,  # (B,) its position
        done: jax.Array,  # (B,) the row has stopped
        budget: jax.Array,
        stop_ids: jax.Array,
    ) -> tuple[Any, ...]:
        def cond(state: tuple[Any, ...]) -> jax.Array:
            count, done = state[3], state[5]
            return jnp.logical_and(count < budget, jnp.logical_not(jnp.all(done)))

        def body(state: tuple[Any, ...]) -> tuple[Any, ...]:
            cache, last, index, count, out, done = state
            token, cache = step(weights, last, cache, index)
            stopped = jnp.any(token[:, None] == stop_ids[None, :], axis=1)
            done = jnp.logical_or(done, stopped)
            out = out.at[:, count].set(jnp.where(done, -1, token))
            return cache, token, index + 1, count + 1, out, done

        out = jnp.full((last.shape[0], CHUNK), -1, jnp.int32)
        start = (cache, last, index, jnp.asarray(0, jnp.int32), out, done)
        return jax.lax.while_loop(cond, body, start)

    found = (jax.jit(prefill), jax.jit(decode, donate_argnums=(1,)))
    _PROGRAMS[model] = found
    return found


def _empty_caches(model: GemmaLM, rows: int, length: int) -> Any:
    """`rows` single-row caches stacked on a new leading axis (what the vmapped step takes)."""
    one = model._empty_cache(length)
    return jax.tree_util.tree_map(lambda a: jnp.zeros((rows, *a.shape), a.dtype), one)


def generate_batch(
    model: GemmaLM,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    *,
    rows: int | None = None,
    on_step: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[list[int]]:
    """Greedy new tokens of each prompt (BOS included in each), without the stop token.

    `rows` pads the batch to a fixed number of rows (one compiled shape for every batch of a
    run); `on_step(tokens so far)` hears progress between compiled calls.
    """
    if not prompts:
        return []
    rows = max(rows or len(prompts), len(prompts))
    prefill, decode = _programs(model)
    stop = np.full((4,), -1, np.int32)
    stop[: len(model.tokenizer.stop_ids)] = model.tokenizer.stop_ids
    lengths = [len(p) for p in prompts]
    padded = bucket_length(max(lengths), 64)
    cache_len = bucket_length(max(lengths) + max_new_tokens, 64)
    ids = np.zeros((rows, padded), np.int32)
    length_of = np.ones((rows,), np.int32)  # padding rows: a one-token prompt of id 0
    for row, prompt in enumerate(prompts):
        ids[row, : len(prompt)] = prompt
        length_of[row] = len(prompt)
    weights = model.weights
    with model._lock:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        token, cache = prefill(
            weights, jnp.asarray(ids), jnp.asarray(length_of), _empty_caches(model, rows, cache_len)
        )
        first = np.asarray(token)
        done = np.isin(first, model.tokenizer.stop_ids)
        done[len(prompts) :] = True
        new: list[list[int]] = [[int(t)] if not d else [] for t, d in zip(first, done, strict=True)]
        index = jnp.asarray(length_of)
        steps = 1
        while not done.all() and steps < max_new_tokens:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if on_step is not None:
                on_step(steps)
            budget = min(CHUNK, max_new_tokens - steps)
            cache, token, index, count, out, done_now = decode(
                weights,
                cache,
                token,
                index,
                jnp.asarray(done),
                jnp.asarray(budget, jnp.int32),
                jnp.asarray(stop),
            )
            for row, emitted in enumerate(np.asarray(out)[:, : int(count)]):
                new[row].extend(int(t) for t in emitted if t >= 0)
            done = np.asarray(done_now).copy()
            steps += int(count)
    return new[: len(prompts)]
