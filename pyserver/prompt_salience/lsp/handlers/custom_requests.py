"""The extension's requests (docs/protocol.md): a computed result and its HTML report.

Both answer at once from what is computed, without the model. Work on the model (run, explain
another span, switch the view) is a command (`commands.py`): one route per operation.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ..language_server import PromptSalienceServer
from ..protocol import (
    COMPARISON_REPORT_REQUEST,
    REPORT_REQUEST,
    RESULT_REQUEST,
    CaseParams,
    ExplanationResult,
    HtmlReport,
)
from ..result_view import explanation_result


def register(server: PromptSalienceServer) -> None:
    server.feature(RESULT_REQUEST)(result)
    server.feature(REPORT_REQUEST)(report)
    server.feature(COMPARISON_REPORT_REQUEST)(comparison_report)


def result(ls: PromptSalienceServer, params: CaseParams) -> ExplanationResult | None:
    """The current result of a case, with ranges in the current version (null if none)."""
    document = ls.open_document(params.uri)
    ls.parse(document)  # drops explanations the latest edits made stale
    explanation = document.explanation(params.case)
    if explanation is None or explanation.result is None:
        return None
    return explanation_result(document, explanation, ls.settings.intensity)


def report(ls: PromptSalienceServer, params: CaseParams) -> HtmlReport | None:
    """The HTML report of a case's current result: exactly what is shown, no new run."""
    from ...report.html import ReportItem, html_report

    document = ls.open_document(params.uri)
    parse = ls.parse(document)
    explanation = document.explanation(params.case)
    if explanation is None or explanation.result is None:
        return None
    name = PurePath(document.name_for_parser)
    settings = parse.document.settings if parse.document is not None else None
    title = (settings.description if settings else None) or f"Prompt salience: {name.name}"
    item = ReportItem(
        explanation.result, heading=f"Case {explanation.case}", source_label=str(name)
    )
    html = html_report([item], title=title, intensity=ls.settings.intensity)
    case = re.sub(r"[^A-Za-z0-9._-]+", "-", explanation.case).strip("-") or "case"
    return HtmlReport(html, f"{name.stem}.{case}.salience.html")


def comparison_report(ls: PromptSalienceServer, params: CaseParams) -> HtmlReport | None:
    """The case's last comparison (`promptSalience.compare`) as a self-contained page: both
    heatmaps side by side, the answers' diff and the changes of likelihood (no new run)."""
    from ...report.comparison_html import comparison_html

    document = ls.open_document(params.uri)
    case = params.case or document.active_case
    comparison = document.comparisons.get(case) if case is not None else None
    if comparison is None or case is None:
        return None
    name = PurePath(document.name_for_parser)
    title = f"Prompt salience: {name.name}, case {case}: {comparison.a_label} and now"
    html = comparison_html(comparison, title=title, intensity=ls.settings.intensity)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", case).strip("-") or "case"
    return HtmlReport(html, f"{name.stem}.{safe}.comparison.html")
