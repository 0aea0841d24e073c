"""The extension's requests (docs/protocol.md): a computed result, another span, another view.

`promptSalience/result` answers at once from what is computed; the other two run on the model
worker (cancellable with `$/cancelRequest`, with progress on `workDoneToken` when given).
"""

from __future__ import annotations

from .. import model_work
from ..protocol import (
    EXPLAIN_SPAN_REQUEST,
    RESULT_REQUEST,
    SET_VIEW_REQUEST,
    CaseParams,
    ExplainSpanParams,
    ExplanationResult,
    SetViewParams,
)
from ..result_view import explanation_result
from ..server import PromptSalienceServer


def register(server: PromptSalienceServer) -> None:
    server.feature(RESULT_REQUEST)(result)
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


async def explain_span(ls: PromptSalienceServer, params: ExplainSpanParams) -> ExplanationResult:
    """Explain another span of the response (see ExplainSpanParams)."""
    return await model_work.explain_span(ls, params)


async def set_view(ls: PromptSalienceServer, params: SetViewParams) -> ExplanationResult:
    """Switch method and/or granularity without a new generation."""
    return await model_work.set_view(ls, params)
