"""The one sentence about integrated gradients' completeness (report.layout.result_notices), as
the terminal, the HTML report and the JSON export give it; the LSP result carries the same
(tests/lsp)."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console

from prompt_salience.report import ReportItem, html_report, render_heatmap
from prompt_salience.report.html_parts import esc
from prompt_salience.report.layout import Notice, result_notices
from test_report import make_result

WITHIN = {
    "steps": 48.0,
    "steps_cap": 128.0,
    "completeness_gap": -0.98,
    "completeness_gap_relative": 0.021,
    "completeness_bound": 0.05,
}
OVER = {**WITHIN, "steps": 2.0, "steps_cap": 2.0, "completeness_gap_relative": 6.8}


def test_within_the_bound_it_says_how_close_and_at_what_cost() -> None:
    assert result_notices(WITHIN) == [
        Notice(
            "Integrated gradients: the scores sum to within 2.1% of the change in log p from "
            "the baseline (bound 5%, 48 steps).",
            warning=False,
        )
    ]


def test_over_the_bound_it_warns_and_names_the_setting() -> None:
    [notice] = result_notices(OVER)
    assert notice.warning
    assert notice.text.startswith(
        "Integrated gradients are incomplete: the scores sum to 680% away from the change in "
        "log p from the baseline, over the 5% bound after 2 steps (the cap)."
    )
    assert "`promptSalience.igSteps`" in notice.text
    assert "`--steps`" in notice.text
    below_cap = result_notices({**OVER, "steps_cap": 128.0})[0].text
    assert "after 2 steps. Read" in below_cap  # stopped early, not at the cap: no "(the cap)"


def test_other_methods_have_no_notice() -> None:
    assert result_notices({}) == []
    assert result_notices({"logprob_input": -1.0, "segments_ablated": 3.0}) == []


def test_the_terminal_and_the_html_draw_the_sentence_and_mark_a_warning() -> None:
    for notes in (WITHIN, OVER):
        result = make_result(notes=notes)
        [notice] = result_notices(notes)
        console = Console(record=True, width=80)
        render_heatmap(result, console)
        output = console.export_text()
        expected = f"Warning: {notice.text}" if notice.warning else notice.text
        assert expected in output  # one line, not wrapped
        page = html_report(
            [ReportItem(result, heading="Menu")], title="T", generated_at=datetime(2026, 1, 1)
        )
        if notice.warning:
            assert f'<p class="notice warning">Warning: {esc(notice.text)}</p>' in page
        else:
            assert f'<p class="notice">{esc(notice.text)}</p>' in page


def test_the_json_export_carries_the_sentence_and_whether_it_warns() -> None:
    from prompt_salience.report.json_export import result_to_json

    for notes in (WITHIN, OVER):
        [notice] = result_notices(notes)
        exported = result_to_json(make_result(notes=notes))
        assert exported["notices"] == [{"text": notice.text, "warning": notice.warning}]
    assert result_to_json(make_result())["notices"] == []
