"""workspace/executeCommand: run, explain another span, switch the view, show, cancel, test, compare.

Each command takes one argument, the params object of protocol.py as JSON (camelCase), e.g.
`{"uri": "file:///…/menu.prompt", "case": "quiche-lorraine"}`. CodeLens fill it in.
"""

from __future__ import annotations

from lsprotocol.types import MessageType

from .. import model_work
from ..language_server import PromptSalienceServer
from ..protocol import (
    CANCEL_COMMAND,
    COMPARE_COMMAND,
    EXPLAIN_SPAN_COMMAND,
    RUN_COMMAND,
    SET_VIEW_COMMAND,
    SHOW_RESPONSE_COMMAND,
    TEST_COMMAND,
    CaseParams,
    CompareParams,
    ComparisonReport,
    ExplainSpanParams,
    ExplanationResult,
    SetViewParams,
    TestReport,
)
from ..result_view import response_pieces


def register(server: PromptSalienceServer) -> None:
    server.command(RUN_COMMAND)(run)
    server.command(EXPLAIN_SPAN_COMMAND)(explain_span)
    server.command(SET_VIEW_COMMAND)(set_view)
    server.command(SHOW_RESPONSE_COMMAND)(show_response)
    server.command(CANCEL_COMMAND)(cancel)
    server.command(TEST_COMMAND)(test)
    server.command(COMPARE_COMMAND)(compare)


async def run(ls: PromptSalienceServer, params: CaseParams) -> ExplanationResult:
    """Generate and explain a case (its front-matter `explain`, else the whole response)."""
    return await model_work.run_and_explain(ls, params)


async def explain_span(ls: PromptSalienceServer, params: ExplainSpanParams) -> ExplanationResult:
    """Explain another span of the last response: offsets, a line, a sentence or a text."""
    return await model_work.explain_span(ls, params)


async def set_view(ls: PromptSalienceServer, params: SetViewParams) -> ExplanationResult:
    """Same span, another method and/or granularity (no new generation)."""
    return await model_work.set_view(ls, params)


async def test(ls: PromptSalienceServer, params: CaseParams) -> TestReport:
    """Test the case's `expect:` items (every case that has some, without a case)."""
    from ..case_tests import test_cases

    return await test_cases(ls, params)


async def compare(ls: PromptSalienceServer, params: CompareParams) -> ComparisonReport:
    """The case's current result against its pinned (else last) one, or against another open
    document's or case's result: each answer's log p under both prompts."""
    from ..comparisons import compare_with_baseline

    return await compare_with_baseline(ls, params)


def show_response(ls: PromptSalienceServer, params: CaseParams) -> None:
    """Show the whole response and what is explained (window/showMessage), for any client."""
    document = ls.open_document(params.uri)
    explanation = document.explanation(params.case)
    if explanation is None or explanation.result is None:
        ls.show("No response yet: run the case first.", MessageType.Info)
        return
    result = explanation.result
    lines = response_pieces(result.response, "lines")
    numbered = "\n".join(f"{n}: {result.response[a:b]}" for n, (a, b) in enumerate(lines))
    ls.show(
        f"Case {explanation.case}, {result.model}. Response (lines numbered from 0):\n"
        f"{numbered}\n"
        f'Explaining "{result.span_text}" ({result.method}, {result.granularity}).',
        MessageType.Info,
    )


def cancel(ls: PromptSalienceServer, params: CaseParams) -> bool:
    """Stop the run in flight for the case (all the document's runs without a case)."""
    return model_work.cancel_case(ls, params)
