"""pygls plumbing: typed custom messages, `$/cancelRequest` for commands, bad params answered.

* `get_message_type` maps our custom methods to the attrs classes in protocol.py, so their
  params arrive structured (camelCase -> snake_case).
* pygls runs `workspace/executeCommand` through a generator wrapper: `$/cancelRequest` for it
  cancels only the wrapper, not our coroutine. Handlers register a callback per request id
  (`on_cancel`) that stops their model work.
* A request whose params do not fit its type would otherwise get no answer at all (pygls fails
  while reading the message); here it is answered with InvalidParams.
* The error replies the server means to send (cancelled, content modified, invalid params, a
  failure already shown to the user) are answered without the Traceback pygls logs for an
  unexpected error, and a handler that ends after its request was cancelled has its exception
  read (asyncio would otherwise print "Task exception was never retrieved").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from concurrent.futures import Future
from functools import lru_cache
from typing import Any

from lsprotocol.types import ErrorCodes, ResponseError
from pygls.exceptions import (
    JsonRpcContentModified,
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcRequestCancelled,
)
from pygls.protocol import LanguageServerProtocol

from .protocol import MESSAGE_TYPES, REQUEST_FAILED

logger = logging.getLogger(__name__)


class RequestFailed(JsonRpcException):
    """The work failed for a reason already shown to the user (window/showMessage)."""

    CODE = REQUEST_FAILED
    MESSAGE = "Request failed"


# The errors a handler raises on purpose: each is an answer, not a fault of the server.
_INTENDED = (JsonRpcRequestCancelled, JsonRpcContentModified, JsonRpcInvalidParams, RequestFailed)


class _Answered:
    """Stands in for a message already answered with an error (handle_message skips it)."""

    jsonrpc = "answered"


class PromptSalienceProtocol(LanguageServerProtocol):
    """LanguageServerProtocol with our message types and cancellation hooks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cancel_callbacks: dict[Any, Callable[[], None]] = {}

    @lru_cache  # noqa: B019  (as the base class does; one protocol per process)
    def get_message_type(self, method: str) -> type[Any] | None:
        return MESSAGE_TYPES.get(method) or super().get_message_type(method)

    def on_cancel(self, msg_id: Any, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when the client cancels request `msg_id`; returns the unregister."""
        if msg_id is None:
            return lambda: None
        self._cancel_callbacks[msg_id] = callback
        return lambda: self._cancel_callbacks.pop(msg_id, None) and None

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        callback = self._cancel_callbacks.pop(msg_id, None)
        if callback is not None:
            callback()
        super()._handle_cancel_notification(msg_id)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams:
            if "id" not in data or "method" not in data:
                raise
            method = data.get("method")
            logger.warning("Invalid params for %s: %s", method, data.get("params"))
            self._send_response(
                data["id"],
                error=ResponseError(
                    code=ErrorCodes.InvalidParams,
                    message=f"Invalid params for {method}: see docs/protocol.md.",
                ),
            )
            return _Answered()

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Answered):
            return
        super().handle_message(message)

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        error = None if future.cancelled() else future.exception()
        if isinstance(error, _INTENDED):
            self._request_futures.pop(msg_id, None)
            logger.debug("Request %s answered with %s: %s", msg_id, type(error).__name__, error)
            self._send_response(msg_id, error=error.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def _run_generator(
        self,
        future: Future[Any] | None,
        *,
        gen: Generator[Any, Any, Any],
        result_future: Future[Any],
    ) -> None:
        if result_future.cancelled() and future is not None and not future.cancelled():
            future.exception()  # the client has its answer already; read it so none is left
        super()._run_generator(future, gen=gen, result_future=result_future)
