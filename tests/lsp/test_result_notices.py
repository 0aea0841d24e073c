"""The server alone decides what an edit or a setting does to a shown result, and says so with
promptSalience/resultChanged: `moved` (fetch the ranges for the new version) and `restyled`
(fetch the new colours). The editor keeps no rule of its own (real embedded Gemma)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsp_helpers import (
    change,
    close_document,
    execute,
    open_document,
    position_of,
    request,
    unique_uri,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

PROMPT = """---
description: notices
max_new_tokens: 4
vars:
  dish: Onion soup
---
Suggestion: {{dish}}
Analysis:
"""


async def _next_notice(client: LanguageClient, count: int) -> Any:
    changes: list[Any] = client.result_changes  # type: ignore[attr-defined]
    async with asyncio.timeout(10):
        while len(changes) <= count:
            await asyncio.sleep(0.02)
    return changes[count]


async def test_an_edit_elsewhere_announces_the_moved_result(client: LanguageClient) -> None:
    uri = unique_uri("moved.prompt")
    open_document(client, uri, PROMPT)
    await execute(client, "promptSalience.run", {"uri": uri})
    count = len(client.result_changes)  # type: ignore[attr-defined]
    at = position_of(PROMPT, PROMPT.index("notices"))
    change(client, uri, 2, types.Range(at, at), "two lines of\n")
    notice = await _next_notice(client, count)
    assert (notice.reason, notice.available, notice.version) == ("moved", True, 2)
    moved = await request(client, "promptSalience/result", {"uri": uri})
    assert moved["version"] == 2
    text = PROMPT.replace("notices", "two lines of\nnotices")
    value = position_of(text, text.index("Onion"))
    starts = [r["start"] for s in moved["segments"] for r in s["ranges"]]
    assert {"line": value.line, "character": value.character} in starts
    close_document(client, uri)


async def test_a_new_intensity_restyles_every_shown_result(client: LanguageClient) -> None:
    uri = unique_uri("restyled.prompt")
    open_document(client, uri, PROMPT)
    before = await execute(client, "promptSalience.run", {"uri": uri})
    assert any(e["themeColour"] for e in before["scale"]["legend"])
    count = len(client.result_changes)  # type: ignore[attr-defined]
    settings = {"promptSalience": {"maxNewTokens": 8, "intensity": 0.8}}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings))
    try:
        notice = await _next_notice(client, count)
        assert (notice.reason, notice.available) == ("restyled", True)
        after = await request(client, "promptSalience/result", {"uri": uri})
        assert after["scale"]["intensity"] == 0.8
        # Off the default intensity the theme colours no longer apply: explicit colours do.
        assert all(e["themeColour"] is None for e in after["scale"]["legend"])
        assert [e["colour"] for e in after["scale"]["legend"]] != [
            e["colour"] for e in before["scale"]["legend"]
        ]
    finally:
        restore = {"promptSalience": {"maxNewTokens": 8}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(restore))
        close_document(client, uri)
