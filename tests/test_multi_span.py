"""Batched span gradients (salience/multi_span.py) equal one span at a time, on tiny random
Gemmas: the lens spans' batch and the per-token rows summed into any span."""

from __future__ import annotations

import numpy as np
import pytest

from prompt_salience.salience.multi_span import BATCHED_METHODS, SequenceGradients, TokenRows
from prompt_salience.salience.objective import SpanObjective
from prompt_salience.salience.registry import get_method
from tiny_models import tiny_gemma2, tiny_gemma3

IDS = [2, *np.random.default_rng(7).integers(3, 97, size=39).tolist()]  # 40 tokens
# Overlapping, nested, single-token, and one reaching the last token.
SPANS = [(20, 24), (22, 30), (25, 26), (21, 40), (39, 40), (30, 31)]


@pytest.fixture(scope="module", params=["gemma3", "gemma2"])
def model(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return tiny_gemma3() if request.param == "gemma3" else tiny_gemma2()


def _one_at_a_time(model, first: int, end: int):  # type: ignore[no-untyped-def]
    objective = SpanObjective(model, IDS, first, end)
    value, _, _ = objective.gradient_scores()
    scores = {m: get_method(m).attribute(objective).token_scores for m in BATCHED_METHODS}
    return value, scores


def _assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal up to float32 reduction-order noise (the batch's shapes differ)."""
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-4 * scale)


def test_a_batch_of_spans_equals_each_span_alone(model) -> None:  # type: ignore[no-untyped-def]
    batched = SequenceGradients(model, IDS, len(IDS)).span_gradients(SPANS, batch=8)
    assert [(s.first, s.end) for s in batched] == SPANS
    for span in batched:
        value, expected = _one_at_a_time(model, span.first, span.end)
        assert span.logprob == pytest.approx(value, rel=1e-4, abs=1e-4)
        got = span.attributions({})
        for method in BATCHED_METHODS:
            assert got[method].token_scores.shape == expected[method].shape, method
            assert np.any(expected[method] != 0), method  # the comparison means something
            _assert_close(got[method].token_scores, expected[method])


def test_token_rows_summed_give_any_span(model) -> None:  # type: ignore[no-untyped-def]
    sequence = SequenceGradients(model, IDS, len(IDS))
    rows = TokenRows(sequence.input_embeddings(), 20, len(IDS))
    while not rows.complete:  # chunks of 8; the last one is padded
        logp, grads = sequence.token_rows(rows.filled, 8)
        rows.add(logp, grads)
    assert rows.filled == len(IDS)
    for first, end in SPANS:
        assert rows.covers(first, end)
        span = rows.span(first, end)
        value, expected = _one_at_a_time(model, first, end)
        assert span.logprob == pytest.approx(value, rel=1e-4, abs=1e-4)
        got = span.attributions({})
        for method in BATCHED_METHODS:
            _assert_close(got[method].token_scores, expected[method])


def test_rows_serve_only_the_spans_they_hold(model) -> None:  # type: ignore[no-untyped-def]
    sequence = SequenceGradients(model, IDS, len(IDS))
    rows = TokenRows(sequence.input_embeddings(), 20, len(IDS))
    rows.add(*sequence.token_rows(20, 4))
    assert rows.covers(20, 24)
    assert not rows.covers(22, 25)
    assert not rows.covers(19, 21)
    with pytest.raises(ValueError, match="do not cover"):
        rows.span(22, 25)
    with pytest.raises(ValueError, match="outside"):
        sequence.span_gradients([(0, 3)])


def test_the_real_model_prefetch_equals_explaining_each_span(real_model) -> None:  # type: ignore[no-untyped-def]
    """On the embedded Gemma: what a prefetched lens click and a span summed from the token rows
    show equals a fresh explanation of that span (another Explainer, nothing prefetched)."""
    import threading

    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.results import CharSpan

    prefetching, fresh = Explainer(real_model), Explainer(real_model)
    prompt = "Suggest a soup for a cold evening, in two short lines.\n"
    generation = prefetching.with_target(prompt, "Try onion soup.\nIt is warm and sweet.")
    lines = [CharSpan(0, 15), CharSpan(16, 37)]
    done = prefetching.prefetch(generation, lines, method="grad_l2", cancel=threading.Event())
    assert done.spans == 2
    assert done.rows == len(generation.token_ids) - 1 - generation.prompt_token_count
    word = CharSpan(9, 13)  # "soup": no lens offers it
    for span, note in [
        (lines[0], "prefetched_span"),
        (lines[1], "prefetched_span"),
        (word, "summed_token_rows"),
    ]:
        for method in BATCHED_METHODS:
            got = prefetching.explain(generation, span, method=method, granularity="words")
            want = fresh.explain(generation, span, method=method, granularity="words")
            assert got.notes == {note: 1.0}
            assert got.span_logprob == pytest.approx(want.span_logprob, rel=1e-4)
            _assert_close(np.asarray(got.token_scores), np.asarray(want.token_scores))
            _assert_close(
                np.asarray([s.score for s in got.segments]),
                np.asarray([s.score for s in want.segments]),
            )
