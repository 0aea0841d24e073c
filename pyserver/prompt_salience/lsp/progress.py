"""Work-done progress for long model work: begin, report (from any thread), end, cancel.

The token is the client's (`workDoneToken` in the request) or one the server creates with
`window/workDoneProgress/create` when the client supports it; without either, nothing is sent.
`window/workDoneProgress/cancel` for the token sets the work's cancel event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from concurrent.futures import Future
from typing import TYPE_CHECKING

from lsprotocol.types import (
    ProgressToken,
    WorkDoneProgressBegin,
    WorkDoneProgressEnd,
    WorkDoneProgressReport,
)

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

logger = logging.getLogger(__name__)
CREATE_TIMEOUT_S = 5.0


class WorkProgress:
    """One progress bar. `report` may be called from the worker thread."""

    def __init__(
        self,
        server: LanguageServer,
        token: ProgressToken | None,
        loop: asyncio.AbstractEventLoop,
        cancel: threading.Event,
    ) -> None:
        self._server = server
        self.token = token
        self._loop = loop
        self._cancel = cancel
        self._ended = False

    @classmethod
    async def start(
        cls,
        server: LanguageServer,
        title: str,
        cancel: threading.Event,
        client_token: ProgressToken | None = None,
    ) -> WorkProgress:
        """Begin a cancellable progress titled `title` (a no-op object if the client cannot)."""
        loop = asyncio.get_running_loop()
        token: ProgressToken | None = client_token
        if token is None and _supports_progress(server):
            token = f"prompt-salience-{uuid.uuid4()}"
            try:
                await asyncio.wait_for(
                    server.work_done_progress.create_async(token), CREATE_TIMEOUT_S
                )
            except Exception:  # the client refused or never answered: go on without progress
                logger.warning("window/workDoneProgress/create failed", exc_info=True)
                token = None
        progress = cls(server, token, loop, cancel)
        if token is not None:
            server.work_done_progress.begin(
                token, WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
            )
            future: Future[object] | None = server.work_done_progress.tokens.get(token)
            if future is not None:
                future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
        return progress

    def report(self, message: str, percentage: int | None = None) -> None:
        """Show `message` (thread-safe; ignored after `end`)."""
        if self.token is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._send(message, percentage)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._send, message, percentage)

    def _send(self, message: str, percentage: int | None) -> None:
        if self._ended or self.token is None:
            return
        value = WorkDoneProgressReport(message=message, percentage=percentage, cancellable=True)
        self._server.work_done_progress.report(self.token, value)

    def end(self, message: str) -> None:
        """Finish the progress (call on the event loop)."""
        if self._ended or self.token is None:
            return
        self._ended = True
        self._server.work_done_progress.end(self.token, WorkDoneProgressEnd(message=message))
        self._server.work_done_progress.tokens.pop(self.token, None)


def _supports_progress(server: LanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window is not None and window.work_done_progress)
