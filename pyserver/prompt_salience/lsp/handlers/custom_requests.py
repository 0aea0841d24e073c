"""The extension's requests (docs/protocol.md): a computed result, its HTML report, another
span, another view.

`promptSalience/result` and `promptSalience/report` answer at once from what is computed; the
other two run on the model worker (cancellable with `$/cancelRequest`, with progress on `workDoneToken` when given).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from .. import model_work
from ..language_server import PromptSalienceServer
from ..protocol import (
    EXPLAIN_SPAN_REQUEST,
    REPORT_REQUEST,
    RESULT_REQUEST,
    SET_VIEW_REQUEST,
    CaseParams,
    ExplainSpanParams,
    ExplanationResult,
    HtmlReport,
    SetViewParams,
)
from ..result_view import explanation_result


def register(server: PromptSalienceServer) -> None:
    server.feature(RESULT_REQUEST)(result)
    server.feature(REPORT_REQUEST)(report)
    server.feature(EXPLAIN_SPAN_REQUEST)(explain_span)
    server.feature(SET_VIEW_REQUEST)(set_view)


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


async def explain_span(ls: PromptSalienceServer, params: ExplainSpanParams) -> ExplanationResult:
    """Explain another span of the response (see ExplainSpanParams)."""
    return await model_work.explain_span(ls, params)


async def set_view(ls: PromptSalienceServer, params: SetViewParams) -> ExplanationResult:
    """Switch method and/or granularity without a new generation."""
    return await model_work.set_view(ls, params)
