"""Runs meet edits and cancellations: results stay tied to the text they were computed on, and
cancelling really stops the model (real embedded Gemma, short generations)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from lsp_helpers import (
    change,
    close_document,
    execute,
    hover,
    hover_text,
    lenses,
    open_document,
    position_of,
    unique_uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

CONTENT_MODIFIED = -32801
REQUEST_CANCELLED = -32800


def _prompt(tokens: int) -> str:
    return f"""---
description: a short test prompt
max_new_tokens: {tokens}
vars:
  dish: Onion soup
---
Suggestion: {{{{dish}}}}
Analysis:
"""


async def _new_token(client: LanguageClient, before: set[Any]) -> Any:
    while True:
        new = [t for t in client.progress_reports if t not in before]
        if new:
            return new[0]
        await asyncio.sleep(0.02)


async def _until(client: LanguageClient, token: Any, pattern: str) -> None:
    """Wait for a progress message on `token` matching `pattern`."""
    while not any(
        re.match(pattern, getattr(r, "message", None) or "") for r in client.progress_reports[token]
    ):
        await asyncio.sleep(0.02)


def _messages(client: LanguageClient, token: Any) -> list[str]:
    return [getattr(r, "message", None) or "" for r in client.progress_reports[token]]


async def _ended(client: LanguageClient, token: Any) -> str:
    """The message that ended `token`'s progress (waits for it; the bound only stops a hang)."""

    async def end() -> str:
        while not isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd):
            await asyncio.sleep(0.02)
        return client.progress_reports[token][-1].message or ""

    return await asyncio.wait_for(end(), 120)


def _generated(messages: list[str], requested: int) -> list[int]:
    """The token counts the progress reported while generating (`Generating: n/requested`)."""
    pattern = re.compile(rf"Generating: (\d+)/{requested} tokens")
    return [int(m.group(1)) for m in map(pattern.fullmatch, messages) if m]


async def _error_code(future: Any) -> int:
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(future, 120)
    return caught.value.code


async def test_an_edit_to_the_prompt_during_a_run_stops_it(client: LanguageClient) -> None:
    uri, text = unique_uri("edit.prompt"), _prompt(32)
    open_document(client, uri, text)
    before = set(client.progress_reports)
    run = asyncio.ensure_future(execute(client, "promptSalience.run", {"uri": uri}))
    token = await _new_token(client, before)
    await _until(client, token, r"Generating: \d+/")
    at = position_of(text, text.index("Analysis:"))
    change(client, uri, 2, types.Range(at, at), "Short ")
    generating = not any(m.startswith("Salience") for m in _messages(client, token))
    assert await _error_code(run) == CONTENT_MODIFIED
    if generating:  # (a response that stopped early may already be in its salience step)
        assert await _ended(client, token) == "Cancelled"
        assert "Generating: 32/32 tokens" not in _messages(client, token)
    assert "No salience yet" in hover_text(await hover(client, uri, at))
    close_document(client, uri)


async def test_an_edit_elsewhere_during_a_run_keeps_and_moves_the_result(
    client: LanguageClient,
) -> None:
    uri, text = unique_uri("move.prompt"), _prompt(4)
    open_document(client, uri, text)
    before = set(client.progress_reports)
    run = asyncio.ensure_future(execute(client, "promptSalience.run", {"uri": uri}))
    await _new_token(client, before)
    at = position_of(text, text.index("a short"))
    change(client, uri, 2, types.Range(at, at), "line one\n  of ")
    result = await asyncio.wait_for(run, 120)
    assert result["version"] == 2
    new_text = text.replace("a short", "line one\n  of a short")
    shown = await hover(client, uri, position_of(new_text, new_text.index("Onion") + 1))
    assert "Salience" in hover_text(shown)
    assert shown is not None
    assert shown.range is not None
    assert shown.range.start == position_of(new_text, new_text.index("Onion"))
    # Now an edit that touches the value: the result is dropped, the client told.
    changes: list[Any] = client.result_changes  # type: ignore[attr-defined]
    count = len(changes)
    value = position_of(new_text, new_text.index("soup"))
    change(client, uri, 3, types.Range(value, value), "hot ")
    while len(changes) == count:
        await asyncio.sleep(0.02)
    assert changes[-1].available is False
    assert changes[-1].reason == "dropped"
    assert "No salience yet" in hover_text(await hover(client, uri, value))
    close_document(client, uri)


async def test_cancel_request_stops_the_model(client: LanguageClient) -> None:
    uri, text = unique_uri("cancel.prompt"), _prompt(64)
    open_document(client, uri, text)
    before = set(client.progress_reports)
    params = types.ExecuteCommandParams(command="promptSalience.run", arguments=[{"uri": uri}])
    run = asyncio.wrap_future(
        client.protocol.send_request("workspace/executeCommand", params, msg_id="run-to-cancel")
    )
    token = await _new_token(client, before)
    await _until(client, token, r"Generating: \d+/")
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="run-to-cancel"))
    assert await _error_code(run) == REQUEST_CANCELLED
    assert await _ended(client, token) == "Cancelled"
    # Stopped between decoding steps: fewer tokens than asked for, and no salience step began.
    messages = _messages(client, token)
    counts = _generated(messages, 64)
    assert counts, messages
    assert max(counts) < 64, messages
    assert not any(m.startswith("Salience") for m in messages), messages
    titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
    assert titles == ["▶ Run and explain"], "no result: the case is offered to run again"
    close_document(client, uri)


async def test_cancel_by_progress_token_and_by_the_lens(client: LanguageClient) -> None:
    uri, text = unique_uri("cancel2.prompt"), _prompt(64)
    open_document(client, uri, text)
    before = set(client.progress_reports)
    run = asyncio.ensure_future(execute(client, "promptSalience.run", {"uri": uri}))
    token = await _new_token(client, before)
    await _until(client, token, r"Generating: \d+/")
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert await _error_code(run) == REQUEST_CANCELLED
    assert await _ended(client, token) == "Cancelled"

    # A plain client: the lens of a running case cancels it.
    before = set(client.progress_reports)
    run = asyncio.ensure_future(execute(client, "promptSalience.run", {"uri": uri}))
    token = await _new_token(client, before)
    (running,) = [lens for lens in await lenses(client, uri) if lens.command]
    assert running.command is not None
    assert "cancel" in running.command.title
    assert await execute(client, running.command.command, running.command.arguments[0]) is True
    assert await _error_code(run) == REQUEST_CANCELLED
    close_document(client, uri)


async def test_re_explaining_is_cancellable_and_has_no_second_route(client: LanguageClient) -> None:
    """Explain-span and set-view are commands only: `$/cancelRequest` stops them, and the old
    custom requests of the same names are gone (MethodNotFound)."""
    uri, text = unique_uri("custom.prompt"), _prompt(4)
    open_document(client, uri, text)
    await execute(client, "promptSalience.run", {"uri": uri})
    pending = asyncio.wrap_future(
        client.protocol.send_request(
            "workspace/executeCommand",
            types.ExecuteCommandParams(
                command="promptSalience.explainSpan", arguments=[{"uri": uri, "sentence": 0}]
            ),
            msg_id="explain-to-cancel",
        )
    )
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="explain-to-cancel"))
    assert await _error_code(pending) == REQUEST_CANCELLED
    switched = await execute(
        client, "promptSalience.setView", {"uri": uri, "granularity": "tokens"}
    )
    assert switched["granularity"] == "tokens"
    for method in ("promptSalience/explainSpan", "promptSalience/setView"):
        gone = asyncio.wrap_future(
            client.protocol.send_request(method, {"uri": uri, "sentence": 0})
        )
        assert await _error_code(gone) == types.ErrorCodes.MethodNotFound
    close_document(client, uri)
