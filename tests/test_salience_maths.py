"""The salience maths on tiny random Gemmas: gradients, padding, completeness, ablation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.salience.objective import SpanObjective
from prompt_salience.salience.registry import get_method, methods
from tiny_models import tiny_gemma2, tiny_gemma3

RNG = np.random.default_rng(1234)


@pytest.fixture(scope="module", params=["gemma3", "gemma2"])
def model(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return tiny_gemma3() if request.param == "gemma3" else tiny_gemma2()


def _ids(n: int) -> list[int]:
    return [2, *RNG.integers(3, 97, size=n - 1).tolist()]


def _reference_logprob(model, ids: list[int], start: int, end: int):  # type: ignore[no-untyped-def]
    """LIT-style: full-vocabulary logits at EVERY position from the backbone's own call."""
    weights = model.weights
    token_ids = jnp.asarray([ids[:end]], jnp.int32)

    def objective(emb: jax.Array) -> jax.Array:
        positions = jnp.arange(end, dtype=jnp.int32)
        logits = model.span_logits(weights, emb[None], jnp.ones((1, end), jnp.int32), positions)
        logp = jax.nn.log_softmax(logits[0], axis=-1)
        picked = logp[jnp.arange(start - 1, end - 1), token_ids[0, start:end]]
        return jnp.sum(picked)

    emb = model.embed(weights, token_ids[0])
    return jax.value_and_grad(objective)(emb)


def _assert_close_f32(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal up to float32 reduction-order noise (shapes differ, so XLA sums differently)."""
    np.testing.assert_allclose(
        actual, expected, rtol=1e-3, atol=1e-4 * float(np.abs(expected).max())
    )


def test_every_method_scores_only_attributable_tokens_with_the_sign_it_declares(model) -> None:  # type: ignore[no-untyped-def]
    # Its own generator: the module's RNG feeds the other tests their usual sequences.
    ids = [2, *np.random.default_rng(99).integers(3, 97, size=25).tolist()]
    objective = SpanObjective(model, ids, 20, 24)
    groups = [[i] for i in range(1, 24)]  # one segment per token, for segment methods
    for cls in methods():
        scores = cls().attribute(objective, groups).token_scores
        assert scores.shape == (24,), cls.name
        assert scores[0] == 0, cls.name  # BOS
        assert np.all(scores[20:] == 0), cls.name  # the span itself
        assert np.any(scores[1:20] != 0), cls.name
        if cls.signed:
            assert np.any(scores < 0), cls.name
        else:
            assert np.all(scores >= 0), cls.name


def test_gradient_matches_finite_differences(model) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(20)
    objective = SpanObjective(model, ids, 14, 19)
    value, grad = objective.value_and_grad()
    emb = objective.embeddings
    for _ in range(3):
        direction = np.zeros(emb.shape, np.float32)
        direction[: objective.length] = RNG.normal(size=(objective.length, emb.shape[1]))
        direction /= np.linalg.norm(direction)
        h = 1e-2
        plus, _ = objective.value_and_grad(emb + h * jnp.asarray(direction))
        minus, _ = objective.value_and_grad(emb - h * jnp.asarray(direction))
        numeric = (plus - minus) / (2 * h)
        analytic = float(np.sum(grad * direction[: objective.length]))
        assert numeric == pytest.approx(analytic, rel=2e-2, abs=1e-3)
    assert np.isfinite(value)


def test_head_only_at_span_positions_equals_full_logits_reference(model) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(40)
    start, end = 30, 37
    ref_value, ref_grad = _reference_logprob(model, ids, start, end)
    objective = SpanObjective(model, ids, start, end)
    value, grad = objective.value_and_grad()
    assert value == pytest.approx(float(ref_value), rel=1e-5, abs=1e-5)
    _assert_close_f32(grad, np.asarray(ref_grad))


def test_padding_and_later_tokens_change_nothing(model) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(70)  # span ends at 60: padded to a 64 bucket; same span in a 70-token sequence
    first = SpanObjective(model, ids[:60], 50, 60)
    second = SpanObjective(model, ids, 50, 60)
    assert first.embeddings.shape == second.embeddings.shape  # both bucketed to 64
    short = SpanObjective(model, ids[:40], 30, 40)  # 40 -> bucket 64 too: compare with manual pad
    assert short.length == 40
    v1, g1 = first.value_and_grad()
    v2, g2 = second.value_and_grad()
    assert v1 == pytest.approx(v2, abs=1e-6)
    np.testing.assert_allclose(g1, g2, atol=1e-7)
    ref_value, ref_grad = _reference_logprob(model, ids, 50, 60)
    assert v1 == pytest.approx(float(ref_value), rel=1e-5, abs=1e-5)
    _assert_close_f32(g1, np.asarray(ref_grad))


def test_gradient_methods_score_only_tokens_before_the_span(model) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(30)
    objective = SpanObjective(model, ids, 20, 26)
    _, grad = objective.value_and_grad()
    l2 = get_method("grad_l2").attribute(objective).token_scores
    gxi = get_method("grad_dot_input").attribute(objective).token_scores
    emb = objective.input_embeddings()
    np.testing.assert_allclose(l2[1:20], np.linalg.norm(grad[1:20], axis=-1), rtol=1e-6)
    np.testing.assert_allclose(gxi[1:20], np.sum(grad[1:20] * emb[1:20], axis=-1), rtol=1e-5)
    assert l2[0] == 0
    assert np.all(l2[20:] == 0)
    assert np.all(gxi[20:] == 0)
    assert np.all(l2[1:20] > 0)


def test_integrated_gradients_refines_until_complete_and_says_how_complete(model) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(24)
    objective = SpanObjective(model, ids, 18, 22)
    capped = get_method("integrated_gradients", steps=2).attribute(objective)
    adaptive = get_method("integrated_gradients").attribute(objective)
    bound = adaptive.notes["completeness_bound"]
    assert bound == 0.05
    assert adaptive.notes["completeness_gap_relative"] <= bound
    assert abs(adaptive.notes["completeness_gap"]) < abs(capped.notes["completeness_gap"])
    # The cap is a cap: two points are all the capped run may spend.
    assert capped.notes["steps"] == 2
    assert adaptive.notes["steps"] <= adaptive.notes["steps_cap"]
    total = float(np.sum(adaptive.token_scores))
    difference = adaptive.notes["logprob_input"] - adaptive.notes["logprob_baseline"]
    assert total == pytest.approx(difference + adaptive.notes["completeness_gap"], abs=1e-4)


def test_integrated_gradients_refined_scores_match_a_fine_uniform_grid_per_token(model) -> None:  # type: ignore[no-untyped-def]
    """Refinement converges to the same integral as a fine uniform grid, per token."""
    ids = _ids(24)
    objective = SpanObjective(model, ids, 18, 22)
    adaptive = get_method("integrated_gradients").attribute(objective)
    fine_scores = _uniform_midpoint_scores(objective, 256)
    scale = float(np.max(np.abs(fine_scores)))
    assert np.max(np.abs(adaptive.token_scores - fine_scores)) < 0.05 * scale


def _uniform_midpoint_scores(objective: SpanObjective, steps: int) -> np.ndarray:
    """The textbook rule, written independently: mean gradient at `steps` midpoints times delta."""
    emb = np.asarray(objective.embeddings, np.float64)
    base = np.asarray(objective.baseline_embeddings(), np.float64)
    total = np.zeros_like(emb[: objective.length])
    for k in range(steps):
        alpha = (k + 0.5) / steps
        point = jnp.asarray(base + alpha * (emb - base), jnp.float32)
        total += objective.value_and_grad(point)[1]
    return np.sum(total / steps * (emb - base)[: objective.length], axis=-1)


def _keras_hub_logprob(model, ids: list[int], start: int, end: int, hidden: list[int]) -> float:  # type: ignore[no-untyped-def]
    """An independent reference for a hidden segment, as ablation defines it: keras-hub's own
    backbone call on token ids where the segment is the padding token, with `padding_mask` 0
    there, and the full-vocabulary head at every position (none of our forward or masking)."""
    token_ids = np.asarray([ids[:end]], np.int32)
    mask = np.ones((1, end), np.int32)
    token_ids[0, hidden] = 0
    mask[0, hidden] = 0
    states = model.backbone({"token_ids": token_ids, "padding_mask": mask})
    logits = model.backbone.token_embedding(states, reverse=True)
    logp = np.asarray(jax.nn.log_softmax(jnp.asarray(logits[0], jnp.float32), axis=-1))
    return float(sum(logp[i - 1, ids[i]] for i in range(start, end)))


def test_segment_ablation_is_the_logprob_drop_when_the_segment_is_removed(model) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(26)
    objective = SpanObjective(model, ids, 20, 24)
    # The third segment ends right before the span: its last token predicts the span's first.
    groups = [[1, 2, 3], [4, 5], list(range(6, 20)), [20, 21, 22, 23]]
    scores = get_method("segment_ablation").attribute(objective, groups).token_scores
    full = _keras_hub_logprob(model, ids, 20, 24, [])
    for group in groups[:3]:
        hidden = _keras_hub_logprob(model, ids, 20, 24, group)
        assert scores[group[0]] == pytest.approx(full - hidden, abs=2e-4), group
        assert np.all(scores[group[1:]] == 0)
    assert np.all(scores[20:] == 0)  # the span itself is never ablated
    # Masking the adjacent segment as keys only (what ablation did before) is not removing it.
    keys_only = np.ones((1, 24), np.int32)
    keys_only[0, groups[2]] = 0
    masked = float(objective.values(objective.embeddings[None], keys_only)[0])
    assert abs((full - masked) - scores[6]) > 1e-3


def test_bfloat16_runs_and_stays_close_to_float32() -> None:
    ids = _ids(30)
    f32 = SpanObjective(tiny_gemma3(dtype="float32"), ids, 20, 26)
    bf16 = SpanObjective(tiny_gemma3(dtype="bfloat16"), ids, 20, 26)
    v32, g32 = f32.value_and_grad()
    v16, g16 = bf16.value_and_grad()
    assert np.all(np.isfinite(g16))
    assert v16 == pytest.approx(v32, rel=0.1, abs=0.5)
    cosine = np.sum(g32 * g16) / (np.linalg.norm(g32) * np.linalg.norm(g16))
    assert cosine > 0.9
