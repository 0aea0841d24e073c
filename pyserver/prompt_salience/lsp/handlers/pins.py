"""workspace/executeCommand: pin a case's result as its baseline, and unpin it.

A pinned result survives edits: after each pause in typing, the re-scorer (`rescore.py`) forces
its response under the edited prompt and reports how much more or less likely it became.
"""

from __future__ import annotations

from ...errors import PromptSalienceError
from ..baselines import Baseline
from ..language_server import PromptSalienceServer
from ..model_work import fail
from ..protocol import PIN_COMMAND, UNPIN_COMMAND, CaseParams, ExplanationResult
from ..result_view import explanation_result


def register(server: PromptSalienceServer) -> None:
    server.command(PIN_COMMAND)(pin)
    server.command(UNPIN_COMMAND)(unpin)


def pin(ls: PromptSalienceServer, params: CaseParams) -> ExplanationResult:
    """Keep the case's current result (response, span, scores) as its baseline."""
    document = ls.open_document(params.uri)
    ls.parse(document)  # drops what the latest edits made stale
    explanation = document.explanation(params.case)
    case = params.case or (explanation.case if explanation is not None else None)
    if case is not None and case in document.running:
        raise fail(
            ls,
            PromptSalienceError(
                f"A run of case `{case}` is in flight: there is no result to pin yet.",
                "Pin when it is done (or cancel it and pin the result shown before).",
            ),
        )
    baseline = Baseline.of(explanation, pinned=True) if explanation is not None else None
    if explanation is None or baseline is None:
        which = f"case `{params.case}`" if params.case else "this file"
        raise fail(
            ls,
            PromptSalienceError(
                f"There is no result of {which} to pin.",
                "Run it first (the `Run and explain` CodeLens), then pin.",
            ),
        )
    document.pinned[explanation.case] = baseline
    ls.result_changed(document, explanation.case, available=True, reason="pinned")
    return explanation_result(document, explanation, ls.settings.intensity)


def unpin(ls: PromptSalienceServer, params: CaseParams) -> bool:
    """Forget the case's pin (every pin of the document without a case); True if any."""
    document = ls.open_document(params.uri)
    cases = [params.case] if params.case is not None else list(document.pinned)
    removed = [case for case in cases if document.pinned.pop(case, None) is not None]
    for case in removed:
        if case in document.explanations:
            ls.result_changed(document, case, available=True, reason="pinned")
    if removed:
        ls.refresh_code_lenses()
    return bool(removed)
