"""The pygls internals that `lsp/rpc.py` overrides, each tested in-process against the installed
pygls: if a pygls release stops calling a hook we rely on, one of these fails (not a user).

No model and no subprocess: the protocol object is driven with raw JSON-RPC dictionaries and
its replies are read from an in-memory writer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol.types import ErrorCodes

from prompt_salience.lsp.language_server import PromptSalienceServer
from prompt_salience.lsp.protocol import RESULT_REQUEST, CaseParams
from prompt_salience.lsp.rpc import PromptSalienceProtocol


class _Writer:
    """Collects what the protocol sends (JSON bodies, without headers)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data.decode("utf-8")))

    def close(self) -> None:
        pass


@pytest.fixture
def protocol() -> tuple[PromptSalienceProtocol, _Writer]:
    server = PromptSalienceServer()
    rpc = server.rpc
    writer = _Writer()
    rpc.set_writer(writer, include_headers=False)
    return rpc, writer


def test_custom_request_params_arrive_typed_and_snake_case(
    protocol: tuple[PromptSalienceProtocol, _Writer],
) -> None:
    """pygls must ask `get_message_type` when it structures a request."""
    rpc, _ = protocol
    message = rpc.structure_message(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": RESULT_REQUEST,
            "params": {"uri": "file:///a.prompt", "case": "x", "workDoneToken": "t"},
        }
    )
    assert isinstance(message.params, CaseParams)
    assert message.params.work_done_token == "t"


def test_cancel_request_reaches_our_callback(
    protocol: tuple[PromptSalienceProtocol, _Writer],
) -> None:
    """pygls must route `$/cancelRequest` through `_handle_cancel_notification(msg_id)`, which
    stops model work that pygls itself cannot cancel (commands run in a generator wrapper)."""
    rpc, _ = protocol
    stopped: list[str] = []
    unregister = rpc.on_cancel("run-1", lambda: stopped.append("run-1"))
    cancel = rpc.structure_message(
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "run-1"}}
    )
    rpc.handle_message(cancel)
    assert stopped == ["run-1"]
    unregister()  # already gone: unregistering twice is harmless
    rpc.handle_message(cancel)
    assert stopped == ["run-1"]


def test_params_that_do_not_fit_are_answered_invalid_params(
    protocol: tuple[PromptSalienceProtocol, _Writer],
) -> None:
    """pygls raises JsonRpcInvalidParams from `structure_message` for ill-typed params and would
    leave the request unanswered; we answer it, and `handle_message` skips the message."""
    rpc, writer = protocol
    message = rpc.structure_message(
        {"jsonrpc": "2.0", "id": 9, "method": RESULT_REQUEST, "params": {"case": "no uri"}}
    )
    (reply,) = writer.sent
    assert reply["id"] == 9
    assert reply["error"]["code"] == ErrorCodes.InvalidParams
    assert RESULT_REQUEST in reply["error"]["message"]
    rpc.handle_message(message)  # no handler runs, nothing more is sent
    assert len(writer.sent) == 1


def test_an_intended_error_reply_is_sent_without_a_traceback(
    protocol: tuple[PromptSalienceProtocol, _Writer], caplog: pytest.LogCaptureFixture
) -> None:
    """pygls must hand a finished request to `_send_handler_result`; ours answers the errors a
    handler raises on purpose (here: content modified) without logging a Traceback."""
    from concurrent.futures import Future

    from pygls.exceptions import JsonRpcContentModified

    rpc, writer = protocol
    future: Future[Any] = Future()
    future.set_exception(JsonRpcContentModified("The document changed."))
    with caplog.at_level("DEBUG"):
        rpc._send_handler_result(future, msg_id=7)
    assert writer.sent[-1]["id"] == 7
    assert writer.sent[-1]["error"]["code"] == JsonRpcContentModified.CODE
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]


def test_a_handler_ending_after_its_request_was_cancelled_has_its_exception_read(
    protocol: tuple[PromptSalienceProtocol, _Writer],
) -> None:
    """pygls skips a cancelled request's generator; ours reads the inner task's exception first,
    so asyncio does not print "Task exception was never retrieved" when the task is collected."""
    import asyncio
    from concurrent.futures import Future

    from pygls.exceptions import JsonRpcRequestCancelled

    rpc, _ = protocol
    outer: Future[Any] = Future()
    outer.cancel()
    loop = asyncio.new_event_loop()
    try:
        inner = loop.create_future()
        inner.set_exception(JsonRpcRequestCancelled("stopped"))
        assert inner._log_traceback  # asyncio would complain about it if collected now

        def never() -> Any:
            raise AssertionError("a cancelled request's generator must not run on")
            yield

        rpc._run_generator(inner, gen=never(), result_future=outer)  # type: ignore[arg-type]
        assert not inner._log_traceback
    finally:
        loop.close()
