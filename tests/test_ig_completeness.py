"""Integrated gradients on the real embedded model: complete within its bound on the codelab's
menu prompt at the default settings, and each view (CLI, HTML) says how complete, with a warning
when a result is over the bound.

The uniform 16-step rule that came before summed to f(input) - f(baseline) + 316.7 here, where
the change is 46.65 nats: the path's objective falls and recovers by tens of nats within a
thousandth of alpha (benchmarks/ig_completeness.py prints the profile).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from prompt_salience.engine.case_run import RunSettings, method_options, prepare_prompt
from prompt_salience.engine.explainer import Explainer
from prompt_salience.engine.span_selection import find_span
from prompt_salience.models.model_spec import parse_model_spec
from prompt_salience.prompt.documents import read_document
from prompt_salience.report.layout import result_notices
from test_cli import cli

pytestmark = pytest.mark.model

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
METHOD = "integrated_gradients"


def test_scores_sum_to_the_change_in_log_p_on_the_menu_recommendation(real_model: Any) -> None:
    document = read_document(PROMPTS / "menu-fewshot-mistake.prompt")
    prepared = prepare_prompt(
        document, "quiche-lorraine", chat_setting="auto", spec=parse_model_spec("gemma3_270m")
    )
    run = RunSettings().merged_with(document.settings, {})
    explainer = Explainer(real_model)
    generation = explainer.generate(
        prepared.text, run.max_new_tokens, source_map=prepared.source_map
    )
    span = find_span(generation.response, run.explain)
    assert generation.response[span.start : span.end].startswith("Recommendation:")

    result = explainer.explain(
        generation,
        span,
        method=METHOD,
        granularity="lines",
        method_options=method_options(run, METHOD),  # the defaults: the file sets no steps
    )
    notes = result.notes
    difference = notes["logprob_input"] - notes["logprob_baseline"]
    assert abs(difference) > 1.0  # a real change to explain
    assert sum(result.token_scores) == pytest.approx(difference, rel=0.05)
    assert notes["completeness_gap_relative"] < notes["completeness_bound"] == 0.05
    assert notes["steps"] <= notes["steps_cap"] == RunSettings().ig_steps
    [notice] = result_notices(notes)
    assert not notice.warning
    assert notice.text.startswith("Integrated gradients: the scores sum to within ")


def test_the_cli_and_the_html_say_how_complete_and_warn_over_the_bound(tmp_path: Path) -> None:
    page = tmp_path / "capped.html"
    capped = cli(
        "run", PROMPTS / "what-if-target.prompt", "--method", METHOD, "--steps", "2",
        "--html", page,
    )  # fmt: skip
    assert capped.returncode == 0, capped.stderr
    warning = "Warning: Integrated gradients are incomplete: the scores sum to "
    assert warning in capped.stdout
    assert "bound after 2 steps (the cap)" in capped.stdout
    sentence = capped.stdout[capped.stdout.index(warning) + len("Warning: ") :].splitlines()[0]
    assert f'<p class="notice warning">Warning: {html.escape(sentence)}</p>' in (
        page.read_text(encoding="utf-8")
    )

    page = tmp_path / "default.html"
    adaptive = cli(
        "run", PROMPTS / "what-if-target.prompt", "--method", METHOD, "--html", page
    )  # fmt: skip
    assert adaptive.returncode == 0, adaptive.stderr
    assert "Warning: Integrated gradients" not in adaptive.stdout
    within = "Integrated gradients: the scores sum to within "
    assert within in adaptive.stdout
    sentence = adaptive.stdout[adaptive.stdout.index(within) :].splitlines()[0]
    assert f'<p class="notice">{html.escape(sentence)}</p>' in page.read_text(encoding="utf-8")
