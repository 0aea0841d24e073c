"""The explained span's log-probability (`SalienceResult.span_logprob`, `Explainer.span_logprob`)
on tiny random Gemmas, against a naive reference: full-vocabulary logits at every position,
log-softmax in float64, the span's tokens picked and summed. The real model's values are
checked in test_compare_story.py."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.engine.explainer import Explainer, Generation
from prompt_salience.results import CharSpan
from prompt_salience.salience.objective import SpanObjective
from prompt_salience.salience.registry import method_names
from tiny_models import tiny_gemma2, tiny_gemma3

PROMPT_TOKENS = 23
RESPONSE_TOKENS = 9


@pytest.fixture(scope="module", params=["gemma3", "gemma2"])
def model(request: pytest.FixtureRequest) -> Any:
    return tiny_gemma3() if request.param == "gemma3" else tiny_gemma2()


def _generation(seed: int) -> Generation:
    """One character per token: prompt and response texts whose token spans are trivial."""
    rng = np.random.default_rng(seed)
    ids = [2, *rng.integers(3, 97, size=PROMPT_TOKENS + RESPONSE_TOKENS).tolist()]
    prompt, response = "p" * PROMPT_TOKENS, "r" * RESPONSE_TOKENS
    return Generation(
        model="tiny",
        prompt=prompt,
        response=response,
        token_ids=tuple(ids),
        token_spans=tuple(CharSpan(i, i + 1) for i in range(len(ids) - 1)),
        prompt_token_count=PROMPT_TOKENS,
        generated=True,
    )


def _reference(model: Any, ids: tuple[int, ...], first: int, end: int) -> float:
    """Sum over the span of log softmax(logits at the position before each token)[token]."""
    emb = model.embed(model.weights, jnp.asarray(ids, jnp.int32))[None]
    mask = jnp.ones((1, len(ids)), jnp.int32)
    logits = np.asarray(
        model.span_logits(model.weights, emb, mask, jnp.arange(len(ids), dtype=jnp.int32))[0],
        np.float64,
    )
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(sum(logp[i - 1, ids[i]] for i in range(first, end)))


@pytest.mark.parametrize("span", [CharSpan(0, 1), CharSpan(2, 6), CharSpan(0, RESPONSE_TOKENS)])
def test_span_logprob_is_the_sum_of_the_span_tokens_log_probabilities(
    model: Any, span: CharSpan
) -> None:
    generation = _generation(seed=span.start * 31 + span.end)
    first, end = 1 + PROMPT_TOKENS + span.start, 1 + PROMPT_TOKENS + span.end
    expected = _reference(model, generation.token_ids, first, end)
    value = Explainer(model).span_logprob(generation, span)
    assert value == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert value < 0


@pytest.mark.parametrize("method", method_names())
def test_every_method_fills_the_results_log_p_with_the_same_value(model: Any, method: str) -> None:
    generation = _generation(seed=7)
    span = CharSpan(3, 8)
    expected = _reference(model, generation.token_ids, 1 + PROMPT_TOKENS + 3, 1 + PROMPT_TOKENS + 8)
    options = {"steps": 4.0} if method == "integrated_gradients" else {}
    result = Explainer(model).explain(
        generation, span, method=method, granularity="tokens", method_options=options
    )
    assert result.span_logprob == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_a_gradient_method_reuses_its_pass_and_a_second_ask_is_cached(
    model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grad L2's backward pass already holds log p: explaining runs no extra forward pass, and
    asking for the span's log p afterwards, or with another granularity, runs none either."""
    forward_passes = []
    original = SpanObjective.values

    def counted(self: SpanObjective, *args: Any) -> np.ndarray:
        forward_passes.append(1)
        return original(self, *args)

    monkeypatch.setattr(SpanObjective, "values", counted)
    explainer = Explainer(model)
    generation = _generation(seed=11)
    span = CharSpan(1, 4)
    result = explainer.explain(generation, span, method="grad_l2", granularity="tokens")
    again = explainer.span_logprob(generation, span)
    words = explainer.explain(generation, span, method="grad_dot_input", granularity="words")
    assert forward_passes == []
    assert result.span_logprob == again == words.span_logprob
    other = explainer.span_logprob(generation, CharSpan(4, 6))  # not computed yet: one pass
    assert forward_passes == [1]
    assert other != again
