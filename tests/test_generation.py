"""KV-cache greedy generation equals naive argmax decoding with full forward passes."""

from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.errors import Cancelled
from tiny_models import tiny_gemma2, tiny_gemma3


def _naive_greedy(model, prompt: list[int], steps: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Full forward over a fixed 64-token window (the model is causal: later padding changes
    nothing), argmax at the last real position. One compilation for every step."""
    ids = list(prompt)
    weights = model.weights
    width = 64
    assert len(prompt) + steps <= width

    @jax.jit
    def next_token(weights, padded, last):  # type: ignore[no-untyped-def]
        emb = model.embed(weights, padded)[None]
        logits = model.span_logits(weights, emb, jnp.ones((1, width), jnp.int32), last[None])
        return jnp.argmax(logits[0, 0])

    for _ in range(steps):
        padded = np.zeros((width,), np.int32)
        padded[: len(ids)] = ids
        ids.append(int(next_token(weights, jnp.asarray(padded), jnp.asarray(len(ids) - 1))))
    return ids[len(prompt) :]


@pytest.mark.parametrize("make", [tiny_gemma3, tiny_gemma2], ids=["gemma3", "gemma2"])
def test_cached_generation_equals_naive_decoding(make) -> None:  # type: ignore[no-untyped-def]
    model = make()
    model.tokenizer.stop_ids = ()  # random weights: do not stop early
    rng = np.random.default_rng(7)
    # 30 prompt tokens + 20 new crosses the 16-token sliding window and a length bucket.
    prompt = [2, *rng.integers(3, 97, size=29).tolist()]
    assert model.generate(prompt, 20) == _naive_greedy(model, prompt, 20)


def test_generation_stops_at_a_stop_token_and_reports_progress() -> None:
    model = tiny_gemma3()
    prompt = [2, 5, 6, 7]
    model.tokenizer.stop_ids = ()
    free = model.generate(prompt, 8)
    cut = next(j for j in range(1, len(free)) if free[j] not in free[:j])
    model.tokenizer.stop_ids = (free[cut],)
    seen: list[int] = []
    stopped = model.generate(prompt, 8, on_token=seen.append)
    assert stopped == free[:cut]
    assert seen  # progress is reported in chunks of tokens, increasing, ending at the total
    assert seen == sorted(set(seen))
    assert seen[-1] == len(stopped)


def test_generation_can_be_cancelled_between_tokens() -> None:
    model = tiny_gemma3()
    model.tokenizer.stop_ids = ()
    cancel = threading.Event()

    reported: list[int] = []

    def stop_at_first_report(count: int) -> None:
        reported.append(count)
        cancel.set()

    with pytest.raises(Cancelled):
        model.generate([2, 5, 6], 40, on_token=stop_at_first_report, cancel=cancel)
    assert reported == [1]  # stopped before the first chunk of DECODE_CHUNK tokens ran
