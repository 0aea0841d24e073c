"""Problems of a prompt file as LSP diagnostics (no model needed).

A problem that an edit mends carries that edit in the diagnostic's `data` (`fix_data`), with
the document version its ranges belong to: the code action sends it back as it is
(`handlers/code_actions.py`), and never reads the message.
"""

from __future__ import annotations

from typing import Any

from lsprotocol.types import Diagnostic, DiagnosticSeverity, Range

from ..errors import PromptSalienceError
from ..prompt.foreign_formats import ForeignFileError
from ..prompt.parsed_prompt import Problem, TextFix
from .open_documents import OpenDocument, Parse
from .token_budget import TooLong

SOURCE = "prompt-salience"


def document_diagnostics(
    document: OpenDocument, parse: Parse, too_long: list[TooLong]
) -> list[Diagnostic]:
    """Parse failures, the parser's problems, cases too long for the model, and the cases the
    last test run found failing (only after a test run: expectations need the model)."""
    if isinstance(parse.error, ForeignFileError):
        info = DiagnosticSeverity.Information
        return [_error_diagnostic(document, parse.error, info, code="foreign-file")]
    if parse.error is not None:
        return [_error_diagnostic(document, parse.error, code="unreadable-file")]
    assert parse.document is not None
    diagnostics = [_problem_diagnostic(document, p) for p in parse.document.problems]
    for case in too_long:
        problem, fix = case.message()
        diagnostics.append(
            Diagnostic(
                range=document.index.line_range(case.line),
                message=f"{problem}\nFix: {fix}",
                severity=DiagnosticSeverity.Error,
                source=SOURCE,
                code="prompt-too-long",
            )
        )
    for verdict in document.verdicts.values():
        if not verdict.passed:
            diagnostics.append(
                Diagnostic(
                    range=document.index.line_range(verdict.line),
                    message=verdict.message(),
                    severity=DiagnosticSeverity.Warning,
                    source=SOURCE,
                    code="expectation-failed",
                )
            )
    return diagnostics


def _problem_diagnostic(document: OpenDocument, problem: Problem) -> Diagnostic:
    severity = (
        DiagnosticSeverity.Error if problem.severity == "error" else DiagnosticSeverity.Warning
    )
    return Diagnostic(
        range=document.index.range_of(problem.start, problem.end),
        message=f"{problem.problem}\nFix: {problem.fix}",
        severity=severity,
        source=SOURCE,
        code=problem.code,
        data=fix_data(document, problem.fixes) if problem.fixes else None,
    )


def fix_data(document: OpenDocument, fixes: tuple[TextFix, ...]) -> dict[str, Any]:
    """The edits that mend a problem, as plain JSON for `Diagnostic.data`: ranges in this
    version's positions (UTF-16 unless negotiated otherwise)."""
    index = document.index
    return {
        "version": document.version,
        "fixes": [
            {
                "title": fix.title,
                "range": _plain_range(index.range_of(fix.start, fix.end)),
                "newText": fix.text,
                "isPreferred": fix.preferred,
            }
            for fix in fixes
        ],
    }


def _plain_range(range_: Range) -> dict[str, dict[str, int]]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }


def _error_diagnostic(
    document: OpenDocument,
    error: PromptSalienceError,
    severity: DiagnosticSeverity = DiagnosticSeverity.Error,
    *,
    code: str,
) -> Diagnostic:
    """A structural error (unreadable YAML or JSON) at its 1-based line and column; another
    tool's file gets one information note instead."""
    index = document.index
    line = min(max((error.line or 1) - 1, 0), index.line_count - 1)
    line_end = index.line_end(line)
    start = min(index.line_starts[line] + max((error.column or 1) - 1, 0), line_end)
    return Diagnostic(
        range=index.range_of(start, line_end),
        message=f"{error.problem}\nFix: {error.fix}",
        severity=severity,
        source=SOURCE,
        code=code,
    )
