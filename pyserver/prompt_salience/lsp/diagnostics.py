"""Problems of a prompt file as LSP diagnostics (no model needed)."""

from __future__ import annotations

from lsprotocol.types import Diagnostic, DiagnosticSeverity

from ..errors import PromptSalienceError
from ..prompt.foreign_formats import ForeignFileError
from ..prompt.parsed_prompt import Problem
from .open_documents import OpenDocument, Parse
from .token_budget import TooLong

SOURCE = "prompt-salience"


def document_diagnostics(
    document: OpenDocument, parse: Parse, too_long: list[TooLong]
) -> list[Diagnostic]:
    """Parse failures, the parser's problems, cases too long for the model, and the cases the
    last test run found failing (only after a test run: expectations need the model)."""
    if isinstance(parse.error, ForeignFileError):
        return [_error_diagnostic(document, parse.error, DiagnosticSeverity.Information)]
    if parse.error is not None:
        return [_error_diagnostic(document, parse.error)]
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
    )


def _error_diagnostic(
    document: OpenDocument,
    error: PromptSalienceError,
    severity: DiagnosticSeverity = DiagnosticSeverity.Error,
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
    )
