"""The editor is sent the server's own sentence about integrated gradients' completeness with
every result of that method, as a warning when the scores are over the bound."""

from __future__ import annotations

import asyncio

import pytest
from lsp_helpers import close_document, execute, open_document, unique_uri
from lsprotocol import types
from pytest_lsp import LanguageClient

from prompt_salience.report.layout import result_notices

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.model]

TEXT = (
    "---\nmethod: integrated_gradients\ngranularity: words\ntarget: ' Mixed'\n"
    "explain: Mixed\n---\n"
    "Classify the review as Positive, Negative or Mixed.\n"
    "Review: cold soup, kind waiter.\nSentiment:"
)


def _configure(client: LanguageClient, values: dict[str, object]) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"promptSalience": values})
    )


async def _run(client: LanguageClient, ig_steps: int) -> dict[str, object]:
    _configure(client, {"maxNewTokens": 8, "igSteps": ig_steps})
    await asyncio.sleep(0.2)
    uri = unique_uri("ig-notices.prompt")
    open_document(client, uri, TEXT)
    try:
        result: dict[str, object] = await asyncio.wait_for(
            execute(client, "promptSalience.run", {"uri": uri}), 300
        )
        return result
    finally:
        _configure(client, {"maxNewTokens": 8})  # back to the shared defaults
        close_document(client, uri)


async def test_a_capped_result_carries_the_warning_the_cli_prints(client: LanguageClient) -> None:
    result = await _run(client, 2)
    assert result["method"] == "integrated_gradients"
    notes = result["notes"]
    assert isinstance(notes, dict)
    expected = result_notices(notes)  # the one function the CLI and the HTML use too
    assert result["notices"] == [{"text": n.text, "warning": n.warning} for n in expected]
    [notice] = expected
    assert notice.warning
    assert "over the 5% bound after 2 steps (the cap)" in notice.text


async def test_a_complete_result_says_how_complete(client: LanguageClient) -> None:
    result = await _run(client, 128)
    [notice] = result["notices"]  # type: ignore[misc]
    assert notice["warning"] is False
    assert notice["text"].startswith("Integrated gradients: the scores sum to within ")
    assert "(bound 5%," in notice["text"]
