"""Load ahead of the click, over stdio with the real embedded Gemma: opening a prompt file loads
the model the settings name in the background, and promptSalience/modelState says so; the
setting turns it off; a settings change stops it; a run waits for it instead of loading twice.

Its own server (the shared one has a model loaded already). Each test names a fresh model label
(`label:gemma3_270m`, the same weights), so each needs a load of its own."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import (
    as_plain,
    close_document,
    diagnostics_for,
    execute,
    open_document,
    request,
    unique_uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "prompt_salience.server"])
TEXT = "---\nvars:\n  dish: Onion soup\n---\nSuggestion: {{dish}}\nAnalysis:\n"
LOAD_TIMEOUT_S = 600  # a load on a busy 2-core machine
REQUEST_CANCELLED = -32800
DOTPROMPT = '---\ninput:\n  schema:\n    name: string\n---\n{{role "system"}}\nHi {{name}}\n'


@pytest_lsp.fixture(scope="module", loop_scope="module", config=SERVER)
async def preload_client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    """A server of its own, started with preloading off; `lsp_client.model_states` records its
    promptSalience/modelState notifications as plain dicts."""
    states: list[dict[str, Any]] = []
    lsp_client.model_states = states  # type: ignore[attr-defined]
    lsp_client.feature("promptSalience/modelState")(lambda params: states.append(as_plain(params)))
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            initialization_options={"promptSalience": {"maxNewTokens": 4, "preloadModel": False}},
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def _states(client: LanguageClient) -> list[dict[str, Any]]:
    states: list[dict[str, Any]] = client.model_states  # type: ignore[attr-defined]
    return states


def _configure(client: LanguageClient, **values: object) -> None:
    settings = {"maxNewTokens": 4, **values}
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"promptSalience": settings})
    )


async def _state(client: LanguageClient, state: str, model: str, since: int) -> dict[str, Any]:
    """The first `state` of `model` announced after the first `since` ones (waits for it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOAD_TIMEOUT_S
    while True:
        for announced in _states(client)[since:]:
            if announced["state"] == state and announced["model"] == model:
                return announced
        assert loop.time() < deadline, f"no {state} for {model}: {_states(client)[since:]}"
        await asyncio.sleep(0.05)


def _seen(client: LanguageClient, since: int) -> list[tuple[str, str]]:
    return [(s["state"], s["model"]) for s in _states(client)[since:]]


def _progress(client: LanguageClient, before: set[Any]) -> list[str]:
    """The progress messages of the work that began after `before` (the set of old tokens)."""
    return [
        getattr(value, "message", None) or getattr(value, "title", None) or ""
        for token, values in client.progress_reports.items()
        if token not in before
        for value in values
    ]


async def _run(client: LanguageClient, uri: str) -> dict[str, Any]:
    result: dict[str, Any] = await asyncio.wait_for(
        execute(client, "promptSalience.run", {"uri": uri}), LOAD_TIMEOUT_S
    )
    return result


async def test_with_the_setting_off_opening_a_file_loads_nothing(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    uri = unique_uri("preload-off.prompt")
    open_document(client, uri, TEXT)
    try:
        # The diagnostics come after didOpen's handler, which would have announced a preload.
        await diagnostics_for(client, uri)
        idle = _states(client)
        assert [s["state"] for s in idle] == ["idle"], idle
        assert "preloadModel is off" in idle[0]["detail"]
    finally:
        close_document(client, uri)


async def test_opening_a_prompt_file_loads_the_model_and_the_run_finds_it(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    _configure(client, preloadModel=True, model="a:gemma3_270m")
    await asyncio.sleep(0.2)
    assert _seen(client, 0) == [("idle", "")], "no prompt file is open: nothing to preload yet"
    dotprompt = unique_uri("preload-dotprompt.prompt")
    open_document(client, dotprompt, DOTPROMPT)
    await diagnostics_for(client, dotprompt)
    close_document(client, dotprompt)
    assert _seen(client, 0) == [("idle", "")], "another tool's file (Dotprompt) preloads nothing"
    uri = unique_uri("preload-open.prompt")
    open_document(client, uri, TEXT)
    try:
        loading = await _state(client, "loading", "a", 0)
        assert loading["text"] == "loading a…"
        assert "background" in loading["detail"]
        ready = await _state(client, "ready", "a", 0)
        # The status bar's words: the model, its device ("CPU" or the accelerator's name, as
        # JAX names it) and its precision.
        import jax

        device = jax.devices()[0]
        expected = "CPU" if device.platform == "cpu" else device.device_kind
        assert (ready["device"], ready["precision"]) == (expected, "float32")
        assert ready["text"] == f"ready (a · {expected} · float32)"
        assert f"on {expected} in float32" in ready["detail"]
        assert loading["precision"] == "float32"
        assert _seen(client, 1) == [("loading", "a"), ("ready", "a")]
        before = set(client.progress_reports)
        result = await _run(client, uri)
        assert result["model"] == "a"
        assert not any("Loading" in m for m in _progress(client, before)), "loaded again"
    finally:
        close_document(client, uri)


async def test_a_failed_preload_is_a_state_and_the_run_says_the_fix(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    since = len(_states(client))
    uri = unique_uri("preload-fails.prompt")
    open_document(client, uri, TEXT)
    try:
        _configure(client, preloadModel=True, model="missing:/nonexistent/preset")
        failed = await _state(client, "failed", "missing", since)
        assert failed["text"] == "load failed (missing)"
        assert "not a keras-hub preset folder" in failed["detail"]
        assert "Fix:" in failed["detail"]
        shown = len(client.messages)
        with pytest.raises(JsonRpcException):
            await _run(client, uri)
        assert any("not a keras-hub preset folder" in m.message for m in client.messages[shown:])
        choices = await request(client, "promptSalience/choices", {})  # the server still answers
        assert choices["methods"]
    finally:
        close_document(client, uri)


async def test_a_settings_change_stops_the_preload_and_a_run_still_works(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    uri = unique_uri("preload-change.prompt")
    open_document(client, uri, TEXT)
    try:
        since = len(_states(client))
        _configure(client, preloadModel=True, model="b:gemma3_270m")
        await _state(client, "loading", "b", since)
        _configure(client, preloadModel=True, model="c:gemma3_270m")
        stopped = await _state(client, "cancelled", "b", since)
        assert stopped["text"] == "load stopped (b)"
        assert "settings" in stopped["detail"]
        await _state(client, "ready", "c", since)
        assert ("ready", "b") not in _seen(client, since)
        result = await _run(client, uri)
        assert result["model"] == "c"
        # Turning preloading off stops a preload too, and says why.
        since = len(_states(client))
        _configure(client, preloadModel=True, model="d:gemma3_270m")
        await _state(client, "loading", "d", since)
        _configure(client, preloadModel=False, model="d:gemma3_270m")
        off = await _state(client, "cancelled", "d", since)
        assert "preloadModel" in off["detail"]
    finally:
        close_document(client, uri)


async def test_a_run_during_a_preload_waits_for_it_and_nothing_loads_twice(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    uri = unique_uri("preload-run.prompt")
    open_document(client, uri, TEXT)
    try:
        since = len(_states(client))
        _configure(client, preloadModel=True, model="e:gemma3_270m")
        await _state(client, "loading", "e", since)
        before = set(client.progress_reports)
        result = await _run(client, uri)  # clicked while the model loads
        assert result["model"] == "e"
        messages = _progress(client, before)
        assert "Loading e (in the background; this run waits for it)" in messages
        assert not any("first use" in m for m in messages), messages
        await _state(client, "ready", "e", since)
        assert _seen(client, since).count(("loading", "e")) == 1, _seen(client, since)
    finally:
        close_document(client, uri)


async def test_cancelling_a_run_that_waits_for_the_preload_keeps_the_preload(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    uri = unique_uri("preload-cancel.prompt")
    open_document(client, uri, TEXT)
    try:
        since = len(_states(client))
        _configure(client, preloadModel=True, model="g:gemma3_270m")
        await _state(client, "loading", "g", since)
        before = set(client.progress_reports)
        params = types.ExecuteCommandParams("promptSalience.run", [{"uri": uri}])
        run = asyncio.wrap_future(
            client.protocol.send_request("workspace/executeCommand", params, msg_id="waits")
        )
        waiting = "Loading g (in the background; this run waits for it)"
        while waiting not in _progress(client, before):
            await asyncio.sleep(0.02)
        client.protocol.notify("$/cancelRequest", types.CancelParams(id="waits"))
        with pytest.raises(JsonRpcException) as caught:
            await asyncio.wait_for(run, LOAD_TIMEOUT_S)
        assert caught.value.code == REQUEST_CANCELLED
        await _state(client, "ready", "g", since)
        assert ("cancelled", "g") not in _seen(client, since), "the run's cancel stopped the load"
        before = set(client.progress_reports)
        result = await _run(client, uri)
        assert result["model"] == "g"
        assert not any("Loading" in m for m in _progress(client, before)), "loaded again"
    finally:
        close_document(client, uri)


async def test_a_front_matter_model_is_never_preloaded_and_a_run_for_it_stops_the_preload(
    preload_client: LanguageClient,
) -> None:
    client = preload_client
    uri = unique_uri("preload-front-matter.prompt")
    since = len(_states(client))
    _configure(client, preloadModel=True, model="f:gemma3_270m")
    open_document(client, uri, TEXT.replace("---\nvars:", "---\nmodel: x:gemma3_270m\nvars:", 1))
    try:
        await _state(client, "loading", "f", since)  # the settings' model, not the file's
        result = await _run(client, uri)
        assert result["model"] == "x"
        stopped = await _state(client, "cancelled", "f", since)
        assert "a run needs x" in stopped["detail"]
        await _state(client, "ready", "x", since)
        assert all(model != "x" for state, model in _seen(client, since) if state == "cancelled")
    finally:
        close_document(client, uri)
