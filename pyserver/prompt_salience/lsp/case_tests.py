"""Testing cases in the editor: `promptSalience.test` generates each case that has `expect:`
items (once), checks them, and explains a failing case's offending span. Failures become
warnings on the case's line until the next edit; their explanations become the cases'
results, painted and hovered like a run.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..engine.case_run import RunSettings, prepare_prompt
from ..errors import PromptSalienceError
from ..models.model_spec import ModelSpec, parse_model_spec
from ..prompt.parsed_prompt import PromptCase, PromptFile
from ..report.layout import ranked_segments, shorten
from .model_work import (
    current,
    fail,
    file_result,
    loaded_explainer,
    new_explanation,
    run_explanation,
)
from .open_documents import OpenDocument
from .progress import WorkProgress
from .protocol import CaseParams, CaseVerdict, TestReport
from .verdicts import TestVerdict

if TYPE_CHECKING:
    from ..engine.expectation_run import ExpectationRun
    from .language_server import PromptSalienceServer

TOP_SEGMENTS = 3  # named in a failure's message


async def test_cases(server: PromptSalienceServer, params: CaseParams) -> TestReport:
    """Test one case, or every case with `expect:`; publish the failures as diagnostics."""
    document = current(server, params)
    parse = server.parse(document)
    prompt_file = parse.document
    if prompt_file is None:
        assert parse.error is not None
        raise fail(server, parse.error)
    if prompt_file.errors:
        raise fail(server, prompt_file.error(prompt_file.errors[0]))
    try:
        chosen = [prompt_file.case(params.case)] if params.case else list(prompt_file.cases)
        cases = [case for case in chosen if case.expect]
        busy = [case.name for case in cases if case.name in document.running]
        if busy:
            raise PromptSalienceError(
                f"A run of case `{busy[0]}` is in flight: testing it now would stop that run.",
                "Test when it is done (or cancel it first).",
            )
        if not cases:
            which = f"Case `{params.case}` has" if params.case else "No case of this file has"
            raise PromptSalienceError(
                f"{which} no `expect:` items: there is nothing to test.",
                'Add `expect:` with `- contains: "…"` (or not_contains, regex, not_regex).',
            )
        settings = server.run_settings(prompt_file.settings)
        spec = parse_model_spec(settings.model)
    except PromptSalienceError as error:
        raise fail(server, error) from None
    verdicts = [
        await _test_case(server, document, prompt_file, case, settings, spec, params)
        for case in cases
    ]
    server.publish_diagnostics(document.uri)
    server.refresh_code_lenses()
    return TestReport(document.uri, document.version, verdicts)


async def _test_case(
    server: PromptSalienceServer,
    document: OpenDocument,
    prompt_file: PromptFile,
    case: PromptCase,
    settings: RunSettings,
    spec: ModelSpec,
    params: CaseParams,
) -> CaseVerdict:
    prepared = prepare_prompt(
        prompt_file, case.name, chat_setting=settings.chat_template, spec=spec
    )
    explanation = new_explanation(document, prompt_file, case, prepared, settings, spec)
    key = server.model_key(spec, settings.precision)

    def job(progress: WorkProgress, cancel: threading.Event) -> ExpectationRun:
        from ..engine.expectation_run import run_expectations  # imports JAX: on the worker

        explainer = loaded_explainer(server, key, settings.max_length, progress, cancel)
        progress.report(f"Testing {case.name}", 20)
        return run_expectations(explainer, prepared, case.expect, settings, cancel=cancel)

    title = f"Prompt salience: testing {case.name}"
    run = await run_explanation(server, document, explanation, title, params, job)
    result = run.explanation  # a failure's offending span, explained (else None)
    if result is None:
        document.abandon_run(explanation)  # nothing to show: a pass costs no salience
    elif file_result(server, document, explanation, run.generation, result):
        server.result_changed(document, case.name, available=True, reason="computed")
    top = [shorten(r.segment.text, 40) for r in ranked_segments(result)] if result else []
    span_text = result.span_text if result is not None else None
    document.verdicts[case.name] = TestVerdict(
        case.name, case.line, run.passed, run.verdict.reason, span_text, tuple(top[:TOP_SEGMENTS])
    )
    return CaseVerdict(
        case.name, run.passed, run.verdict.reason, run.generation.response, span_text
    )
