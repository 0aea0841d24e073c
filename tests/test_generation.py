"""KV-cache greedy generation equals naive argmax decoding with full forward passes, and on the
real model keras-hub's own greedy decoding; the fast decode step and the decoding head."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.errors import Cancelled
from prompt_salience.models.shapes import bucket_length
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


# -- the fast decode step and the decoding head (maths, tiny model and random arrays) ---------


def test_gemma3_decode_layers_match_keras_hub_blocks_across_the_window() -> None:
    """Our decode layers give keras-hub's hidden states and caches, one token and several,
    at positions past the tiny model's 16-token sliding window."""
    from prompt_salience.models import gemma3_decode

    model = tiny_gemma3()
    assert gemma3_decode.supports(model.backbone)
    weights = model.weights
    rng = np.random.default_rng(3)
    prompt = jnp.asarray(rng.integers(3, 97, size=(1, 24)), jnp.int32)
    _, cache = model._run_cached(weights, prompt, model._empty_cache(32), jnp.asarray(0))

    def keras_hub(tokens, index):  # type: ignore[no-untyped-def]
        with model._scope(weights):
            x = model.embed(weights, tokens)
            caches = []
            for layer, layer_cache in zip(model.backbone.transformer_layers, cache, strict=True):
                x, layer_cache = layer(x, cache=layer_cache, cache_update_index=index)
                caches.append(layer_cache)
            return x, caches

    def ours(tokens, index):  # type: ignore[no-untyped-def]
        with model._scope(weights):
            x = model.embed(weights, tokens)
            return gemma3_decode.run_decoder_layers(model.backbone, x, cache, index)

    for width in (1, 3):
        tokens = jnp.asarray(rng.integers(3, 97, size=(1, width)), jnp.int32)
        index = jnp.asarray(24, jnp.int32)
        expected, expected_cache = keras_hub(tokens, index)
        got, got_cache = ours(tokens, index)
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5)
        pairs = zip(jax.tree.leaves(got_cache), jax.tree.leaves(expected_cache), strict=True)
        for mine, theirs in pairs:
            np.testing.assert_allclose(mine, theirs, rtol=2e-5, atol=2e-5)


def test_top_candidates_are_the_highest_scores() -> None:
    from prompt_salience.models.decoding_head import _top_candidates

    rng = np.random.default_rng(0)
    for scores in (rng.standard_normal(4096), np.repeat(rng.standard_normal(64), 64)):
        scores = jnp.asarray(scores, jnp.float32)
        found = _top_candidates(scores, 16)
        assert np.array_equal(np.sort(scores[found]), np.sort(jax.lax.top_k(scores, 16)[0]))


def test_low_precision_head_gives_the_float32_argmax_even_when_its_ranking_is_wrong() -> None:
    """Rows that bfloat16 rounds to the same values: the rough pass ties them, the float32
    winner (the last of them) is not among the candidates, the bound does not hold, and the
    full float32 head decides."""
    from prompt_salience.models.decoding_head import (
        CANDIDATES,
        _top_candidates,
        greedy_token,
        low_precision_copy,
    )

    rng = np.random.default_rng(1)
    vocab, dim = 1024, 32
    table = rng.standard_normal((vocab, dim)).astype(np.float32) * 0.01
    hidden = np.ones(dim, np.float32)
    # 0.5 is exact in bfloat16 and these offsets are under half its spacing (2^-9).
    group = np.arange(100, 100 + 2 * CANDIDATES)
    table[group] = 0.5 + np.linspace(0.0, 1e-3, len(group), dtype=np.float32)[:, None]
    exact_winner = int(group[-1])
    assert int(np.argmax(table @ hidden)) == exact_winner
    low = low_precision_copy(jnp.asarray(table))
    rough = jnp.sum(low.weights.astype(jnp.float32) * hidden, axis=1)
    assert exact_winner not in np.asarray(_top_candidates(rough, CANDIDATES)).tolist()
    token = jax.jit(greedy_token)(jnp.asarray(table), jnp.asarray(hidden), None, low)
    assert int(token) == exact_winner

    for seed in range(20):  # with ordinary spread, the candidates decide, and agree
        h = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
        token = greedy_token(jnp.asarray(table), jnp.asarray(h), None, low)
        assert int(token) == int(np.argmax(table @ h))


def test_low_precision_head_only_off_cpu_and_only_for_float32() -> None:
    from prompt_salience.models.decoding_head import use_low_precision_head

    table = jnp.zeros((8, 4), jnp.float32)
    assert not use_low_precision_head(table, "cpu")
    assert use_low_precision_head(table, "gpu")
    assert not use_low_precision_head(table.astype(jnp.bfloat16), "gpu")


# -- the real embedded model: our tokens equal keras-hub's greedy decoding ------------------

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
NEW_TOKENS = 24
REFERENCE_PREFILL = 320  # every sample prompt fits: one compiled reference prefill


def _sample_prompts() -> list[tuple[str, str]]:
    """(label, text) for every case of every sample prompt and dataset, each text once."""
    from prompt_salience.engine.case_run import prepare_prompt
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document

    spec = parse_model_spec("gemma3_270m")
    found: dict[str, str] = {}
    for path in sorted(PROMPTS.iterdir()):
        document = read_document(path)
        for case in document.cases or [None]:
            name = case.name if case is not None else None
            text = prepare_prompt(document, name, chat_setting="auto", spec=spec).text
            found.setdefault(text, f"{path.name}:{name}")
    return [(label, text) for text, label in found.items()]


class KerasHubGreedy:
    """Plain float32 greedy decoding through keras-hub's own decoder blocks (KV cache) and
    reverse embedding: the argmax of the full logits at every step."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.step = jax.jit(self._step)

    def _step(self, weights, ids, cache, index):  # type: ignore[no-untyped-def]
        model = self.model
        with model._scope(weights):
            x = model.embed(weights, ids)
            caches = []
            for layer, layer_cache in zip(model.backbone.transformer_layers, cache, strict=True):
                x, layer_cache = layer(x, cache=layer_cache, cache_update_index=index)
                caches.append(layer_cache)
            logits = model.backbone.token_embedding(model.backbone.layer_norm(x), reverse=True)
        return jnp.argmax(logits[0], axis=-1), caches

    def generate(self, prompt: list[int], steps: int) -> list[int]:
        """`steps` tokens, cut before the first stop token (as GemmaLM.generate stops)."""
        n = len(prompt)
        width = max(REFERENCE_PREFILL, bucket_length(n, 64))
        ids = np.zeros((1, width), np.int32)
        ids[0, :n] = prompt
        cache = self.model._empty_cache(bucket_length(width + steps, 64))
        weights = self.model.weights
        best, cache = self.step(weights, jnp.asarray(ids), cache, jnp.asarray(0, jnp.int32))
        out = [int(best[n - 1])]
        for index in range(n, n + steps - 1):
            token = jnp.asarray([[out[-1]]], jnp.int32)
            best, cache = self.step(weights, token, cache, jnp.asarray(index, jnp.int32))
            out.append(int(best[0]))
        stops = self.model.tokenizer.stop_ids
        cut = next((i for i, t in enumerate(out) if t in stops), len(out))
        return out[:cut]


@pytest.fixture(scope="module")
def keras_hub_greedy(real_model: Any) -> KerasHubGreedy:
    return KerasHubGreedy(real_model)


def _prompt_ids(model: Any, text: str) -> list[int]:
    return [model.tokenizer.bos_id, *model.tokenizer.encode(text).ids]


def test_generation_equals_keras_hub_greedy_on_every_sample_prompt(
    real_model: Any, keras_hub_greedy: KerasHubGreedy
) -> None:
    samples = _sample_prompts()
    assert len(samples) >= 12  # every file's cases, the dataset's rows, raw and what-if files
    differing = []
    for label, text in samples:
        ids = _prompt_ids(real_model, text)
        if real_model.generate(ids, NEW_TOKENS) != keras_hub_greedy.generate(ids, NEW_TOKENS):
            differing.append(label)
    assert differing == []


def test_generation_equals_keras_hub_greedy_on_random_prompts(
    real_model: Any, keras_hub_greedy: KerasHubGreedy
) -> None:
    """Random token ids; the longest prompt's decoding crosses the 512-token sliding window."""
    rng = np.random.default_rng(11)
    vocab = int(real_model.backbone.vocabulary_size)
    for length in (9, 150, 500):
        ids = [real_model.tokenizer.bos_id, *rng.integers(3, vocab, size=length - 1).tolist()]
        assert real_model.generate(ids, NEW_TOKENS) == keras_hub_greedy.generate(ids, NEW_TOKENS)


def test_low_precision_head_decodes_the_float32_tokens(
    real_model: Any, keras_hub_greedy: KerasHubGreedy
) -> None:
    """The bfloat16 candidate head (used off CPU) on the real head, forced on here."""
    from prompt_salience.models.decoding_head import low_precision_copy

    table = real_model.backbone.token_embedding.embeddings.value
    rng = np.random.default_rng(5)
    menu = next(text for label, text in _sample_prompts() if "mistake" in label)
    prompts = [
        _prompt_ids(real_model, menu),
        [real_model.tokenizer.bos_id, *rng.integers(3, table.shape[0], size=200).tolist()],
    ]
    saved = real_model._low_head
    real_model._low_head = low_precision_copy(table)
    try:
        got = [real_model.generate(ids, NEW_TOKENS) for ids in prompts]
    finally:
        real_model._low_head = saved
    assert got == [keras_hub_greedy.generate(ids, NEW_TOKENS) for ids in prompts]
