"""Runs and re-explanations: prepared on the event loop, computed on the model worker.

Shared by the commands (workspace/executeCommand) and the custom requests. Each piece of work:
checks its input at once (no model needed), shows work-done progress, can be cancelled by
`$/cancelRequest`, by its progress token, or by an edit that touches its text, and files its
result only if the document still holds the text it was computed on.

Failures a user can fix arrive as window/showMessage (problem and fix) and the request fails
with RequestFailed; cancellation answers RequestCancelled; an edit answers ContentModified.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol.types import MessageType
from pygls.exceptions import (
    JsonRpcContentModified,
    JsonRpcRequestCancelled,
)

from ..engine.case_run import method_options, prepare_prompt, refuse_oversize, run_case
from ..engine.segmentation import check_granularity
from ..engine.span_selection import check_span, find_span
from ..errors import Cancelled, PromptSalienceError, SpanError
from ..missing_module import missing_module_error
from ..models.model_spec import parse_model_spec
from ..results import CharSpan, SalienceResult
from ..salience.registry import method_class
from .explanations import Explanation, dependency_extents
from .model_choices import error_kind
from .open_documents import OpenDocument
from .positions import TextUnits
from .progress import WorkProgress
from .protocol import CaseParams, ExplainSpanParams, ExplanationResult, SetViewParams
from .result_view import explanation_result, response_pieces
from .rpc import RequestFailed
from .span_prefetch import schedule_prefetch

if TYPE_CHECKING:
    from ..engine.case_run import PreparedPrompt, RunSettings
    from ..engine.explainer import Explainer, Generation
    from ..models.model_spec import ModelSpec
    from ..prompt.parsed_prompt import PromptCase, PromptFile
    from .language_server import PromptSalienceServer

logger = logging.getLogger(__name__)
T = TypeVar("T")


# -- entry points -------------------------------------------------------------------------------
async def run_and_explain(server: PromptSalienceServer, params: CaseParams) -> ExplanationResult:
    """Generate (or take the target) and explain the default span of one case."""
    document = current(server, params)
    parse = server.parse(document)
    if parse.document is None:
        assert parse.error is not None
        raise fail(server, parse.error)
    prompt_file = parse.document
    if prompt_file.errors:
        raise fail(server, prompt_file.error(prompt_file.errors[0]))
    try:
        case = prompt_file.case(params.case)
        settings = server.run_settings(prompt_file.settings)
        _check_view(settings.method, settings.granularity)
        spec = parse_model_spec(settings.model)
        prepared = prepare_prompt(
            prompt_file, case.name, chat_setting=settings.chat_template, spec=spec
        )
        refuse_oversize(
            prepared, max_new_tokens=settings.max_new_tokens, max_length=settings.max_length
        )
    except PromptSalienceError as error:
        raise fail(server, error) from None
    explanation = new_explanation(document, prompt_file, case, prepared, settings, spec)
    key = server.model_key(spec, settings.precision)
    server.preloader.make_way(key)  # a preload of another model would only delay this run

    warnings: list[str] = []

    def job(progress: WorkProgress, cancel: threading.Event) -> tuple[Generation, SalienceResult]:
        explainer = loaded_explainer(server, key, settings.max_length, progress, cancel)

        def fall_back(error: SpanError) -> None:
            # Keep the generation: explain all of it, and say why (other spans stay a click away).
            warnings.append(f"{error.one_line()} Explaining the whole response instead.")

        run = run_case(
            explainer,
            prepared,
            settings,
            on_stage=progress.report,
            on_span_fallback=fall_back,
            cancel=cancel,
        )
        return run.generation, run.result

    title = f"Prompt salience: {case.name}"
    generation, result = await run_explanation(server, document, explanation, title, params, job)
    if not file_result(server, document, explanation, generation, result):
        raise JsonRpcContentModified("The document changed under the run; run it again.")
    server.result_changed(document, case.name, available=True, reason="computed")
    schedule_prefetch(server, explanation)  # lens spans, in the background
    for warning in warnings:
        server.show(warning, MessageType.Warning)
    return explanation_result(document, explanation, server.settings.intensity)


def new_explanation(
    document: OpenDocument,
    prompt_file: PromptFile,
    case: PromptCase,
    prepared: PreparedPrompt,
    settings: RunSettings,
    spec: ModelSpec,
) -> Explanation:
    """An explanation of `case` as rendered now, tied to the text it depends on."""
    line = min(case.line, document.index.line_count - 1)
    line_bounds = (document.index.line_starts[line], document.index.line_end(line))
    extents = dependency_extents(prompt_file, case, prepared.source_map, line_bounds)
    return Explanation(case.name, prepared, extents, settings, spec, document.version)


async def run_explanation(
    server: PromptSalienceServer,
    document: OpenDocument,
    explanation: Explanation,
    title: str,
    params: CaseParams,
    job: Callable[[WorkProgress, threading.Event], T],
    *,
    show_failures: bool = True,
) -> T:
    """Run `job` for a new explanation, tracked as the case's run in flight (its lens says
    so, and an edit to its text stops it); abandoned if the job fails or is stopped."""
    document.start_run(explanation)
    server.refresh_code_lenses()  # "Running… (click to cancel)"
    try:
        return await on_worker(server, explanation, title, params, job, show_failures=show_failures)
    except BaseException:
        document.abandon_run(explanation)
        server.refresh_code_lenses()
        raise


def file_result(
    server: PromptSalienceServer,
    document: OpenDocument,
    explanation: Explanation,
    generation: Generation,
    result: SalienceResult,
) -> bool:
    """File a finished run as its case's result; False if an edit dropped it meanwhile."""
    explanation.generation = generation
    explanation.set_result(result)
    if document.finish_run(explanation):
        return True
    server.refresh_code_lenses()  # the lens must stop saying "Running…"
    return False


async def explain_span(
    server: PromptSalienceServer, params: ExplainSpanParams
) -> ExplanationResult:
    """Explain another span of a finished run's response (same method and granularity)."""
    document = current(server, params)
    explanation = _finished(server, document, params)
    assert explanation.generation is not None
    assert explanation.result is not None
    try:
        span = _chosen_span(explanation.generation.response, params, document.encoding)
    except PromptSalienceError as error:
        raise fail(server, error) from None
    result = explanation.result
    return await _explain(
        server, document, explanation, span, result.method, result.granularity, params
    )


async def set_view(server: PromptSalienceServer, params: SetViewParams) -> ExplanationResult:
    """Explain the same span with another method and/or granularity (no new generation)."""
    document = current(server, params)
    explanation = _finished(server, document, params)
    assert explanation.result is not None
    result = explanation.result
    method = params.method or result.method
    granularity = params.granularity or result.granularity
    try:
        _check_view(method, granularity)
    except PromptSalienceError as error:
        raise fail(server, error) from None
    shift = len(result.prompt)
    span = CharSpan(result.span.start - shift, result.span.end - shift)
    return await _explain(server, document, explanation, span, method, granularity, params)


def cancel_case(server: PromptSalienceServer, params: CaseParams) -> bool:
    """Stop the run in flight for a case (or every run of the document); True if any."""
    document = server.open_document(params.uri)
    running = [
        e for case, e in document.running.items() if params.case is None or case == params.case
    ]
    for explanation in running:
        explanation.stop()
    return bool(running)


# -- shared steps -------------------------------------------------------------------------------
async def _explain(
    server: PromptSalienceServer,
    document: OpenDocument,
    explanation: Explanation,
    span: CharSpan,
    method: str,
    granularity: str,
    params: CaseParams,
) -> ExplanationResult:
    generation = explanation.generation
    assert generation is not None
    key = server.model_key(explanation.spec, explanation.settings.precision)
    options = method_options(explanation.settings, method)

    def job(progress: WorkProgress, cancel: threading.Event) -> SalienceResult:
        explainer = loaded_explainer(server, key, explanation.settings.max_length, progress, cancel)
        progress.report(f"Salience ({method}, {granularity})", 50)
        return explainer.explain(
            generation,
            span,
            method=method,
            granularity=granularity,
            method_options=options,
            cancel=cancel,
        )

    result = await on_worker(
        server, explanation, f"Prompt salience: {explanation.case}", params, job
    )
    if explanation.dropped or document.explanations.get(explanation.case) is not explanation:
        raise JsonRpcContentModified("The document changed meanwhile; run the case again.")
    explanation.set_result(result)
    document.active_case = explanation.case
    server.result_changed(document, explanation.case, available=True, reason="explained")
    schedule_prefetch(server, explanation)
    return explanation_result(document, explanation, server.settings.intensity)


async def on_worker(
    server: PromptSalienceServer,
    explanation: Explanation,
    title: str,
    params: CaseParams,
    job: Callable[[WorkProgress, threading.Event], T],
    *,
    show_failures: bool = True,
) -> T:
    """Run `job` on the model worker with progress and every way of cancelling it.

    A failure the user can fix is shown (window/showMessage) and raised as RequestFailed; with
    `show_failures` False (background work nobody asked for) it is raised as it is, unshown."""
    cancel = explanation.new_cancel_event()
    stop_listening = server.rpc.on_cancel(server.protocol.msg_id, cancel.set)
    progress = await WorkProgress.start(server, title, cancel, params.work_done_token)
    server.preloader.tell_waiting(progress)
    try:
        value, seconds = await server.worker.submit(lambda: _guarded(job, progress, cancel))
    except asyncio.CancelledError:  # pygls cancelled our task: the worker must stop too
        cancel.set()
        progress.end("Cancelled")
        raise
    except Cancelled:
        progress.end("Cancelled")
        if explanation.dropped:
            raise JsonRpcContentModified("The document changed; the run was stopped.") from None
        raise JsonRpcRequestCancelled("Cancelled.") from None
    except PromptSalienceError as error:
        progress.end("Failed")
        if not show_failures:
            raise
        raise fail(server, error) from None
    except Exception as error:
        logger.exception("Model work failed")
        progress.end("Failed")
        if isinstance(error, ModuleNotFoundError):
            raise fail(server, missing_module_error(error)) from None
        if _out_of_memory(error):
            raise fail(
                server,
                PromptSalienceError(
                    "Out of memory while running the model.",
                    "Use bfloat16 precision, a smaller model, or lower max_new_tokens; "
                    "close other programs using the memory (or the GPU).",
                ),
            ) from None
        raise fail(
            server,
            PromptSalienceError(
                f"Unexpected error: {type(error).__name__}: {error}.",
                "See the server's log (stderr); the server keeps running, so try again.",
            ),
        ) from None
    finally:
        stop_listening()
        explanation.forget_cancel_event(cancel)
    progress.end(f"Done in {seconds:.2f} s")  # the model work alone (benchmarks read it)
    return value


def _out_of_memory(error: BaseException) -> bool:
    """MemoryError, or XLA's RESOURCE_EXHAUSTED (JAX raises it as a runtime error)."""
    text = str(error)
    return isinstance(error, MemoryError) or "RESOURCE_EXHAUSTED" in text or "out of memory" in text


def _guarded(
    job: Callable[[WorkProgress, threading.Event], T],
    progress: WorkProgress,
    cancel: threading.Event,
) -> tuple[T, float]:
    """(On the worker) the job's value and its duration; nothing if cancelled while queued."""
    if cancel.is_set():
        raise Cancelled()
    started = time.perf_counter()
    value = job(progress, cancel)
    return value, time.perf_counter() - started


def loaded_explainer(
    server: PromptSalienceServer,
    key: Any,
    max_length: int,
    progress: WorkProgress,
    cancel: threading.Event,
) -> Explainer:
    """(On the worker) the loaded model's Explainer, loading it with progress if needed."""
    needed = server.worker.loaded_key != key
    if needed:
        progress.report(f"Loading {key.spec.label} (first use)", 0)

    def report(message: str) -> None:
        progress.report(message, 5)

    with server.preloader.run_load(key, needed=needed):  # the model state says so
        explainer: Explainer = server.worker.explainer(key, max_length, report, cancel)
    if cancel.is_set():
        raise Cancelled()
    return explainer


def current(server: PromptSalienceServer, params: CaseParams) -> OpenDocument:
    document = server.open_document(params.uri)
    if params.version is not None and params.version != document.version:
        raise JsonRpcContentModified(
            f"Version {params.version} is stale: the document is at version {document.version}."
        )
    return document


def _finished(
    server: PromptSalienceServer, document: OpenDocument, params: CaseParams
) -> Explanation:
    server.parse(document)  # drops explanations the latest edits made stale
    explanation = document.explanation(params.case)
    if explanation is None or explanation.generation is None:
        which = f"case `{params.case}`" if params.case else "this file"
        raise fail(
            server,
            PromptSalienceError(
                f"There is no run of {which} to explain.",
                "Run it first: the `Run and explain` CodeLens (command promptSalience.run).",
            ),
        )
    return explanation


def _chosen_span(response: str, params: ExplainSpanParams, encoding: str) -> CharSpan:
    """The response span (code points) that the params choose."""
    given = [
        name
        for name in ("start", "line", "sentence", "explain")
        if getattr(params, name) is not None
    ]
    if len(given) != 1 or (params.start is None) != (params.end is None):
        raise SpanError(
            "Choose the span by exactly one of: start and end, line, sentence, explain.",
            'E.g. {"uri": ..., "line": 0} or {"uri": ..., "start": 0, "end": 12}.',
        )
    if params.start is not None and params.end is not None:
        units = TextUnits(response, encoding)
        if not 0 <= params.start < params.end <= units.length:
            raise SpanError(
                f"The span [{params.start}:{params.end}] is outside the response "
                f"({units.length} units long) or empty.",
                f"Give 0 <= start < end <= {units.length} ({encoding} units).",
            )
        span = CharSpan(units.to_offset(params.start), units.to_offset(params.end))
        if span.end == span.start:  # both inside one character
            span = CharSpan(span.start, span.start + 1)
        check_span(response, span)
        return span
    if params.explain is not None:
        return find_span(response, params.explain)
    kind, number = (
        ("lines", params.line) if params.line is not None else ("sentences", params.sentence)
    )
    assert number is not None
    pieces = response_pieces(response, kind)
    if not 0 <= number < len(pieces):
        raise SpanError(
            f"The response has {len(pieces)} {kind}; there is no {kind[:-1]} {number}.",
            f"Give a 0-based index below {len(pieces)}.",
        )
    return CharSpan(*pieces[number])


def _check_view(method: str, granularity: str) -> None:
    method_class(method)
    check_granularity(granularity)


def fail(server: PromptSalienceServer, error: PromptSalienceError) -> RequestFailed:
    """Show a user's error (with its fix) and make the request fail with it. One that the editor
    offers a fix for is not shown here: its `data` says which, the client shows it with a button."""
    message = error.one_line()
    kind = error_kind(error)
    if kind:
        return RequestFailed(message, data={"kind": kind})
    server.show(message, MessageType.Error)
    return RequestFailed(message)
