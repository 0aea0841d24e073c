"""The codelab's second half on the real embedded Gemma 3 270M: fix the copy-paste mistake and
the answer turns to "Avoid", by a margin the cross-scores measure; add principles and they
show up as added segments with their own salience.

Each run takes seconds, so the three runs and two comparisons are computed once per module.
Everything uses the files' own settings (grad_l2, sentences, `explain: /Recommendation:.*/`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from prompt_salience.engine.case_run import CaseRun, RunSettings, prepare_prompt, run_case
from prompt_salience.engine.comparison import compare_runs
from prompt_salience.engine.explainer import Explainer
from prompt_salience.models.model_spec import parse_model_spec
from prompt_salience.prompt.documents import read_document
from prompt_salience.results import Comparison

pytestmark = pytest.mark.model

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
SPEC = parse_model_spec("gemma3_270m")
CASE = "quiche-lorraine"
FIRST_EXAMPLE_RECOMMENDATION = "Recommendation: You have to try it."
PRINCIPLES = (
    "* The analysis should be brief and to the point.",
    "* The analysis and recommendation should both be clear about the suitability for someone "
    "with a specified dietary restriction.",
)


@pytest.fixture(scope="module")
def explainer(real_model: Any) -> Explainer:
    return Explainer(real_model)


def _run(explainer: Explainer, name: str) -> CaseRun:
    document = read_document(PROMPTS / f"{name}.prompt")
    assert CASE in [case.name for case in document.cases]
    prepared = prepare_prompt(document, CASE, chat_setting="auto", spec=SPEC)
    return run_case(explainer, prepared, RunSettings().merged_with(document.settings, {}))


@pytest.fixture(scope="module")
def runs(explainer: Explainer) -> dict[str, CaseRun]:
    return {
        name: _run(explainer, f"menu-fewshot-{name}")
        for name in ("mistake", "fixed", "constitution")
    }


def _compare(explainer: Explainer, a: CaseRun, b: CaseRun) -> Comparison:
    """The comparison, with generation forbidden: cross-scores only force responses."""

    def no_generation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a comparison must not generate")

    original = explainer.generate
    explainer.generate = no_generation  # type: ignore[method-assign,assignment]
    try:
        return compare_runs(explainer, a, b, a_label="A", b_label="B")
    finally:
        explainer.generate = original  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def mistake_vs_fixed(explainer: Explainer, runs: dict[str, CaseRun]) -> Comparison:
    return _compare(explainer, runs["mistake"], runs["fixed"])


@pytest.fixture(scope="module")
def fixed_vs_constitution(explainer: Explainer, runs: dict[str, CaseRun]) -> Comparison:
    return _compare(explainer, runs["fixed"], runs["constitution"])


def test_every_result_carries_the_log_p_a_forward_pass_gives(
    explainer: Explainer, runs: dict[str, CaseRun]
) -> None:
    """Grad L2's backward pass supplies the value; an independent forward pass on the same
    tokens (a fresh forced generation, so nothing is cached) must agree."""
    for run in runs.values():
        logprob = run.result.span_logprob
        assert logprob is not None
        assert math.isfinite(logprob)
        assert logprob < 0
        forced = explainer.with_target(run.generation.prompt, run.generation.response)
        assert forced.token_ids == run.generation.token_ids  # same tokens: same quantity
        assert explainer.span_logprob(forced, run.span) == pytest.approx(logprob, abs=1e-3)


def test_fixing_the_example_turns_the_answer_and_the_cross_scores_say_by_how_much(
    mistake_vs_fixed: Comparison,
) -> None:
    a, b = mistake_vs_fixed.a, mistake_vs_fixed.b
    assert "You have to try it" in a.response
    assert "Avoid" in b.response
    cross = mistake_vs_fixed.cross
    assert cross.a_under_a == pytest.approx(a.span_logprob)
    assert cross.b_under_b == pytest.approx(b.span_logprob)
    assert cross.delta_a < -2  # the mistaken answer is much less likely after the fix
    assert cross.delta_b > 2  # and "Avoid" much more likely than after the mistake


def test_the_first_examples_recommendation_is_changed_and_the_rest_is_shared(
    mistake_vs_fixed: Comparison,
) -> None:
    segments = mistake_vs_fixed.segments
    first = next(
        s for s in segments if s.a is not None and s.a.text == FIRST_EXAMPLE_RECOMMENDATION
    )
    assert first.status == "changed"
    assert first.b is not None
    assert first.b.text == "Recommendation: Avoid."
    assert [s.status for s in segments].count("changed") == 1
    assert {s.status for s in segments} == {"same", "changed"}
    # The third example's identical line is matched as the same, not taken for the first's.
    later = [s for s in segments if s.a is not None and s.a.text == FIRST_EXAMPLE_RECOMMENDATION]
    assert [s.status for s in later] == ["changed", "same"]


def test_on_the_same_segments_each_sides_shares_sum_to_about_one(
    mistake_vs_fixed: Comparison,
) -> None:
    """Exactly 1 with the changed segment; about 1 without it. Tolerance 0.25: the one changed
    sentence is one of 22, and a single sentence holding more than a quarter of the prompt's
    salience would mean the model ignored the examples the codelab is about."""
    for side in ("share_a", "share_b"):
        shares = [getattr(s, side) for s in mistake_vs_fixed.segments]
        assert sum(shares) == pytest.approx(1.0, abs=1e-9)
        same = [getattr(s, side) for s in mistake_vs_fixed.segments if s.status == "same"]
        assert sum(same) == pytest.approx(1.0, abs=0.25)
        assert sum(same) < 1.0  # the changed line holds some share: it is counted apart
    changes = [s.share_change for s in mistake_vs_fixed.segments if s.status == "same"]
    assert all(c is not None and abs(c) < 1 for c in changes)


def test_the_constitutions_principles_are_added_with_salience_for_its_recommendation(
    fixed_vs_constitution: Comparison,
) -> None:
    b = fixed_vs_constitution.b
    assert b.span_text.startswith("Recommendation:")
    added = [s for s in fixed_vs_constitution.segments if s.status == "added"]
    assert tuple(s.b.text for s in added if s.b is not None) == PRINCIPLES
    assert {s.status for s in fixed_vs_constitution.segments} == {"same", "added"}
    for segment in added:
        assert segment.b is not None
        assert segment.b.score > 0  # grad_l2: unsigned, and the principles do matter
        assert segment.share_b is not None
        assert 0 < segment.share_b < 1
        assert b.prompt[segment.b.start : segment.b.end] == segment.b.text
