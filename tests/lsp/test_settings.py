"""Settings from workspace/didChangeConfiguration: a bad value is reported with its fix and the
previous one kept; good ones apply to the next run; a new model reloads."""

from __future__ import annotations

import asyncio
import re

import pytest
from lsp_helpers import close_document, execute, open_document, unique_uri
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

TEXT = "---\nvars:\n  dish: Onion soup\n---\nSuggestion: {{dish}}\nAnalysis:\n"


def _configure(client: LanguageClient, values: dict[str, object]) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"promptSalience": values})
    )


async def test_a_bad_value_is_shown_with_its_fix_and_the_previous_value_kept(
    client: LanguageClient,
) -> None:
    shown = len(client.messages)
    _configure(client, {"maxNewTokens": 8, "method": "grad_l3", "intensity": 2})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(client.messages) == shown:
        assert loop.time() < deadline, "no message about the bad settings"
        await asyncio.sleep(0.02)
    message = client.messages[shown]
    assert message.type == types.MessageType.Warning
    assert "Setting `promptSalience.method`: Unknown method 'grad_l3'." in message.message
    assert "Did you mean `grad_l2`?" in message.message
    assert "Setting `promptSalience.intensity`: 2.0 is out of range." in message.message
    _configure(client, {"maxNewTokens": 8})  # back to the shared defaults


@pytest.mark.model
async def test_a_new_model_and_max_new_tokens_apply(client: LanguageClient) -> None:
    before = set(client.progress_reports)
    _configure(client, {"model": "mini:gemma3_270m", "maxNewTokens": 3})
    await asyncio.sleep(0.2)
    uri = unique_uri("settings.prompt")
    open_document(client, uri, TEXT)
    try:
        result = await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
        assert result["model"] == "mini"
        messages = [
            getattr(value, "message", None) or getattr(value, "title", None) or ""
            for token in client.progress_reports
            if token not in before
            for value in client.progress_reports[token]
        ]
        assert any("Loading mini" in m for m in messages)  # reloaded, eagerly or on first use
        counts = [
            int(m.group(1)) for m in map(re.compile(r"Generating: \d+/(\d+)").match, messages) if m
        ]
        assert counts
        assert set(counts) == {3}
    finally:
        _configure(client, {"maxNewTokens": 8})  # back to the shared defaults
        close_document(client, uri)


@pytest.mark.model
async def test_ig_steps_reach_the_method_when_the_view_switches(client: LanguageClient) -> None:
    """A method option is a setting like any other: the editor's igSteps reaches integrated
    gradients, also when the view switches to it without a new run."""
    _configure(client, {"maxNewTokens": 4, "igSteps": 3})
    await asyncio.sleep(0.2)
    uri = unique_uri("ig-steps.prompt")
    open_document(client, uri, TEXT)
    try:
        await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
        switched = await asyncio.wait_for(
            execute(
                client, "promptSalience.setView", {"uri": uri, "method": "integrated_gradients"}
            ),
            300,
        )
        assert switched["method"] == "integrated_gradients"
        assert switched["notes"]["steps"] == 3
    finally:
        _configure(client, {"maxNewTokens": 8})  # back to the shared defaults
        close_document(client, uri)
