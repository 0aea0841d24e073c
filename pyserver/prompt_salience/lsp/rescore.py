"""Live re-scoring: after an edit and a pause in typing, the case's baseline response (pinned,
else the last one an edit removed) is forced as the target under the edited prompt, and its
span explained again with the same method and granularity. No generation: the user sees at
once how likely the old answer is now, and what in the new prompt drives it.

Each edit restarts the pause; an edit during a re-score stops it (its text changed) and the
next pause starts another. Failures are logged, not shown: nobody asked for this work.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcException

from ..engine.case_run import prepare_prompt
from ..errors import PromptSalienceError
from ..models.model_spec import parse_model_spec
from ..salience.registry import method_class
from .baselines import Baseline
from .model_work import file_result, loaded_explainer, new_explanation, run_explanation
from .open_documents import OpenDocument
from .progress import WorkProgress
from .protocol import CaseParams

if TYPE_CHECKING:
    from ..engine.explainer import Generation
    from ..results import SalienceResult
    from .language_server import PromptSalienceServer

logger = logging.getLogger(__name__)

RESCORE_DELAY_S = 0.7  # a pause in typing, not every keystroke


class Rescorer:
    """Schedules re-scores per document, after the last edit of a burst."""

    def __init__(self, server: PromptSalienceServer) -> None:
        self._server = server
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, document: OpenDocument) -> None:
        """Re-score `document`'s cases after the pause (the setting allowing)."""
        pending = self._pending.pop(document.uri, None)
        if pending is not None:
            pending.cancel()
        if not self._server.settings.rescore_on_edit:
            return
        if not (document.pinned or document.removed):
            return
        loop = asyncio.get_running_loop()
        self._pending[document.uri] = loop.call_later(RESCORE_DELAY_S, self._start, document.uri)

    def _start(self, uri: str) -> None:
        self._pending.pop(uri, None)
        task = asyncio.ensure_future(self.rescore_document(uri))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def rescore_document(self, uri: str) -> None:
        """Re-score each case that has a baseline and neither a result nor a run in flight."""
        document = self._server.documents.get(uri)
        if document is None:
            return
        for case in [*document.pinned, *document.removed]:
            baseline = document.baseline(case)
            if baseline is None or case in document.explanations or case in document.running:
                continue
            try:
                await rescore_case(self._server, document, baseline)
            except (PromptSalienceError, JsonRpcException) as error:
                logger.info("Re-score of %s skipped: %s", case, error)


async def rescore_case(
    server: PromptSalienceServer, document: OpenDocument, baseline: Baseline
) -> bool:
    """Force `baseline`'s response under the case as it renders now; True when filed."""
    parse = server.parse(document)
    prompt_file = parse.document
    if prompt_file is None or prompt_file.errors:
        return False  # the diagnostics say why
    if baseline.case not in {case.name for case in prompt_file.cases}:
        return False  # the case is gone (renamed or removed)
    case = prompt_file.case(baseline.case)
    settings = server.run_settings(prompt_file.settings)
    spec = parse_model_spec(settings.model)
    prepared = prepare_prompt(
        prompt_file, case.name, chat_setting=settings.chat_template, spec=spec
    )
    explanation = new_explanation(document, prompt_file, case, prepared, settings, spec)
    explanation.rescored_from = baseline
    key = server.model_key(spec, settings.precision)
    options = method_class(baseline.method).options_from(settings)
    which = "pinned" if baseline.pinned else "last"

    def job(progress: WorkProgress, cancel: threading.Event) -> tuple[Generation, SalienceResult]:
        explainer = loaded_explainer(server, key, settings.max_length, progress, cancel)
        progress.report(f"Re-scoring the {which} response (no generation)", 20)
        generation = explainer.with_target(
            prepared.text, baseline.response, source_map=prepared.source_map
        )
        progress.report(f"Salience ({baseline.method}, {baseline.granularity})", 50)
        result = explainer.explain(
            generation,
            baseline.span,
            method=baseline.method,
            granularity=baseline.granularity,
            method_options=options,
            cancel=cancel,
        )
        return generation, result

    title = f"Prompt salience: re-scoring {case.name}"
    params = CaseParams(document.uri, case.name)
    generation, result = await run_explanation(
        server, document, explanation, title, params, job, show_failures=False
    )
    if not file_result(server, document, explanation, generation, result):
        return False
    server.result_changed(document, case.name, available=True, reason="rescored")
    return True
