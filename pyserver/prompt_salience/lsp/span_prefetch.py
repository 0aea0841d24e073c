"""Lens spans ready before they are clicked: after a result is filed, the model worker scores
the explained span and the spans the response view offers (`result_view.lens_pieces`: the
result's `lens_spans`) in the background, then every response token's gradient rows, so that
other spans are sums.

Lowest priority: any job submitted to the worker stops it between two jitted calls (see
`worker.ModelWorker.submit_background`). It never loads a model, and a failure is only logged.
The engine decides which methods it can batch (`can_prefetch`); for others nothing is queued.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING

from lsprotocol.types import LogMessageParams, MessageType

from ..errors import Cancelled
from ..results import CharSpan
from .result_view import lens_pieces

if TYPE_CHECKING:
    from ..engine.explainer import Explainer, Prefetched
    from .explanations import Explanation
    from .language_server import PromptSalienceServer

logger = logging.getLogger(__name__)
_tasks: set[asyncio.Task[None]] = set()  # keeps each prefetch alive until it ends


def lens_spans(response: str, explained: CharSpan) -> list[CharSpan]:
    """The response spans worth having ready (response offsets): the explained one first, then
    the result's lens spans (each once)."""
    return list(dict.fromkeys([explained, *(span for _, span in lens_pieces(response))]))


def schedule_prefetch(server: PromptSalienceServer, explanation: Explanation) -> None:
    """(On the event loop, after `explanation`'s result is filed) prefetch its lens spans."""
    result, generation = explanation.result, explanation.generation
    if result is None or generation is None:
        return
    from ..engine.explainer import can_prefetch  # JAX: already loaded, since a result exists

    if not server.settings.prefetch_spans or not can_prefetch(result.method):
        return
    shift = len(result.prompt)
    explained = CharSpan(result.span.start - shift, result.span.end - shift)
    spans = lens_spans(generation.response, explained)
    key = server.model_key(explanation.spec, explanation.settings.precision)
    method = result.method

    def job(cancel: threading.Event) -> Prefetched | None:
        if explanation.dropped or server.worker.loaded_key != key:
            return None  # stale, or its model is gone: never load one for this
        explainer: Explainer = server.worker.explainer(
            key, explanation.settings.max_length, lambda _: None, cancel
        )
        assert generation is not None
        return explainer.prefetch(generation, spans, method=method, cancel=cancel)

    async def run() -> None:
        started = time.perf_counter()
        try:
            done = await server.worker.submit_background(job)
        except Cancelled:
            _log(server, f"Prefetch of {explanation.case} stopped: another request came")
            return
        except Exception:
            logger.exception("Prefetch of %s failed", explanation.case)
            return
        if done is None or done.spans + done.rows == 0:
            return
        message = (
            f"Prefetched {done.spans} span(s) and {done.rows} token gradient row(s) of "
            f"{explanation.case} ({method}) in {time.perf_counter() - started:.2f} s"
        )
        _log(server, message)

    task = asyncio.ensure_future(run())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def _log(server: PromptSalienceServer, message: str) -> None:
    """To the server's log and the editor's (window/logMessage: the Output panel)."""
    logger.info(message)
    server.window_log_message(LogMessageParams(type=MessageType.Log, message=message))
