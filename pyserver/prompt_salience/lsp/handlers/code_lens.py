"""textDocument/codeLens: "Run and explain" per case; after a run, the response and choices.

Every lens carries its command, so any client can run it through workspace/executeCommand.
After a run a case's line shows: the response's first line (click: the whole response), the
method and granularity (click: the next one), a lens per response line or sentence to explain
it instead, and "Run again". While a run is in flight: "Running… (cancel)".
"""

from __future__ import annotations

from typing import Any

from lsprotocol.converters import get_converter
from lsprotocol.types import TEXT_DOCUMENT_CODE_LENS, CodeLens, CodeLensParams, Command, Range

from ...engine.segmentation import GRANULARITIES
from ...salience.registry import method_names
from ..explanations import Explanation
from ..language_server import PromptSalienceServer
from ..open_documents import OpenDocument
from ..protocol import (
    CANCEL_COMMAND,
    COMPARE_COMMAND,
    EXPLAIN_SPAN_COMMAND,
    PIN_COMMAND,
    RUN_COMMAND,
    SET_VIEW_COMMAND,
    SHOW_RESPONSE_COMMAND,
    TEST_COMMAND,
    UNPIN_COMMAND,
    CaseParams,
    ExplainSpanParams,
    SetViewParams,
)
from ..result_view import first_line, response_pieces

MAX_PIECE_LENSES = 5
PIECE_WIDTH = 30

_CONVERTER = get_converter()


def register(server: PromptSalienceServer) -> None:
    server.feature(TEXT_DOCUMENT_CODE_LENS)(code_lens)


def code_lens(ls: PromptSalienceServer, params: CodeLensParams) -> list[CodeLens] | None:
    """Lenses for each case (each record of a dataset); none while the file does not parse."""
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return None
    parse = ls.parse(document)
    if parse.document is None:
        return []
    cases = parse.document.cases
    lenses: list[CodeLens] = []
    for case in cases:
        line = document.index.line_range(case.line)
        where = Range(line.start, line.start)
        label = f" `{case.name}`" if len(cases) > 1 else ""
        if case.name in document.running:
            args = CaseParams(document.uri, case.name)
            lenses.append(_lens(where, f"Running{label}… (click to cancel)", CANCEL_COMMAND, args))
        elif (explanation := document.explanations.get(case.name)) is None or (
            explanation.result is None
        ):
            args = CaseParams(document.uri, case.name)
            lenses.append(_lens(where, f"▶ Run and explain{label}", RUN_COMMAND, args))
        else:
            lenses += _result_lenses(document, explanation, where)
        # Whether a case has expectations does not depend on a run: always offered.
        if case.expect:
            lenses.append(_test_lens(document, case.name, where))
    return lenses


def _test_lens(document: OpenDocument, case: str, where: Range) -> CodeLens:
    """Test the case's expectations; after a test, what it found (until the next edit)."""
    verdict = document.verdicts.get(case)
    if verdict is None:
        title = "Test expectations"
    elif verdict.passed:
        title = "✓ Expectations met · test again"
    else:
        title = "✗ Expectations failed · test again"
    return _lens(where, title, TEST_COMMAND, CaseParams(document.uri, case))


def _result_lenses(
    document: OpenDocument, explanation: Explanation, where: Range
) -> list[CodeLens]:
    result = explanation.result
    assert result is not None
    uri, case = document.uri, explanation.case
    lenses = [
        _lens(
            where,
            f"Response: {first_line(result.response) or '(empty)'}",
            SHOW_RESPONSE_COMMAND,
            CaseParams(uri, case),
        ),
        *_baseline_lenses(document, explanation, where),
        _lens(
            where,
            f"Method: {result.method} ▸",
            SET_VIEW_COMMAND,
            SetViewParams(uri, case, method=_next(method_names(), result.method)),
        ),
        _lens(
            where,
            f"Granularity: {result.granularity} ▸",
            SET_VIEW_COMMAND,
            SetViewParams(uri, case, granularity=_next(GRANULARITIES, result.granularity)),
        ),
    ]
    lines = response_pieces(result.response, "lines")
    kind, pieces = ("line", lines)
    if len(lines) <= 1:
        kind, pieces = ("sentence", response_pieces(result.response, "sentences"))
    if len(pieces) > 1:
        explained = (result.span.start - len(result.prompt), result.span.end - len(result.prompt))
        for number, (start, end) in enumerate(pieces[:MAX_PIECE_LENSES]):
            text = _short(result.response[start:end])
            mark = "● " if (start, end) == explained else ""
            args = ExplainSpanParams(
                uri,
                case,
                line=number if kind == "line" else None,
                sentence=number if kind == "sentence" else None,
            )
            lenses.append(
                _lens(
                    where, f"{mark}Explain {kind} {number + 1}: {text}", EXPLAIN_SPAN_COMMAND, args
                )
            )
    lenses.append(_lens(where, "↻ Run again", RUN_COMMAND, CaseParams(uri, case)))
    return lenses


def _baseline_lenses(
    document: OpenDocument, explanation: Explanation, where: Range
) -> list[CodeLens]:
    """A re-score's change of log p, and the pin of the case (pin it, or unpin it)."""
    args = CaseParams(document.uri, explanation.case)
    lenses = []
    baseline, result = explanation.rescored_from, explanation.result
    after = result.span_logprob if result is not None else None
    summary = baseline.summary(after) if baseline is not None and after is not None else None
    if summary is not None:
        title = f"{summary} · re-scored, not generated"
        lenses.append(_lens(where, title, SHOW_RESPONSE_COMMAND, args))
    comparable = document.baseline(explanation.case)
    if comparable is not None and comparable.result is not result:
        which = "pinned" if comparable.pinned else "last"
        lenses.append(_lens(where, f"Compare with the {which} answer", COMPARE_COMMAND, args))
    if explanation.case in document.pinned:
        lenses.append(_lens(where, "Pinned · unpin", UNPIN_COMMAND, args))
    else:
        lenses.append(_lens(where, "Pin this result", PIN_COMMAND, args))
    return lenses


def _lens(where: Range, title: str, command: str, argument: Any) -> CodeLens:
    """A lens whose one argument is the params object, as the wire has it (camelCase, no
    nulls): pygls' own converter writes it."""
    values = _CONVERTER.unstructure(argument)
    return CodeLens(range=where, command=Command(title=title, command=command, arguments=[values]))


def _next(choices: tuple[str, ...], current: str) -> str:
    if current not in choices:
        return choices[0]
    return choices[(choices.index(current) + 1) % len(choices)]


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return f'"{flat}"' if len(flat) <= PIECE_WIDTH else f'"{flat[: PIECE_WIDTH - 1]}…"'
