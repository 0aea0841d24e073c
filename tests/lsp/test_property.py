"""Property: random edits and requests never kill the server, and every range it returns lies
inside the document as the client sees it (a bounded number of examples; one short model run
per example, every other request model-free)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsp_helpers import (
    check_range,
    close_document,
    execute,
    hover,
    lenses,
    lines_of,
    open_document,
    position_of,
    request,
    unique_uri,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

BASE = """---
description: random edits 🎉 here
target: " Délicieux"
vars:
  dish: Crêpe 😀 Suzette
---
Café ☕ {{dish}}:
Verdict:
"""
PIECES = ["a", "é", "🎉", " ", "\n", "\r\n", "{{", "}}", "dish", ":", "-", '"', "---", "\\"]


@dataclass(frozen=True)
class Edit:
    start: float
    length: int
    text: str


@dataclass(frozen=True)
class Hover:
    line: int
    character: int


@dataclass(frozen=True)
class Ask:
    what: str  # "lens" | "result"


operations = st.one_of(
    st.builds(
        Edit,
        st.floats(0, 1),
        st.integers(0, 6),
        st.lists(st.sampled_from(PIECES), max_size=4).map("".join),
    ),
    st.builds(Hover, st.integers(0, 11), st.integers(0, 24)),
    st.builds(Ask, st.sampled_from(["lens", "result"])),
)


def _ranges_in(value: Any) -> list[types.Range]:
    """Every LSP range in a plain-JSON result."""
    found = []
    if isinstance(value, dict):
        if set(value) == {"start", "end"} and isinstance(value["start"], dict):
            found.append(
                types.Range(
                    types.Position(value["start"]["line"], value["start"]["character"]),
                    types.Position(value["end"]["line"], value["end"]["character"]),
                )
            )
        else:
            for item in value.values():
                found += _ranges_in(item)
    elif isinstance(value, list):
        for item in value:
            found += _ranges_in(item)
    return found


async def _play(client: LanguageClient, steps: list[Edit | Hover | Ask]) -> None:
    uri, text, version = unique_uri("random.prompt"), BASE, 1
    open_document(client, uri, text)
    await execute(client, "promptSalience.run", {"uri": uri})
    for step in steps:
        if isinstance(step, Edit):
            start = round(step.start * len(text))
            end = min(start + step.length, len(text))
            if text[start - 1 : start + 1] == "\r\n" or text[end - 1 : end + 1] == "\r\n":
                continue  # a real editor never splits a line break
            range_ = types.Range(position_of(text, start), position_of(text, end))
            version += 1
            text = text[:start] + step.text + text[end:]
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    [types.TextDocumentContentChangePartial(range=range_, text=step.text)],
                )
            )
        elif isinstance(step, Hover):
            shown = await hover(client, uri, types.Position(step.line, step.character))
            if shown is not None and shown.range is not None:
                check_range(text, shown.range)
        elif step.what == "lens":
            for lens in await lenses(client, uri):
                check_range(text, lens.range)
        else:
            result = await request(client, "promptSalience/result", {"uri": uri})
            if result is not None:
                assert result["version"] == version
                for range_ in _ranges_in(result["segments"]):
                    check_range(text, range_)
    # Diagnostics of the last version lie inside the last text.
    for _ in range(200):
        published = client.diagnostics.get(uri)
        if published is not None and _published_version(client, uri) == version:
            break
        await asyncio.sleep(0.02)
    for diagnostic in client.diagnostics.get(uri, []):
        check_range(text, diagnostic.range)
    assert len(lines_of(text)) >= 1
    close_document(client, uri)


def _published_version(client: LanguageClient, uri: str) -> int | None:
    return client.published_versions.get(uri)  # type: ignore[attr-defined, no-any-return]


async def test_random_edits_and_requests_never_break_the_server(client: LanguageClient) -> None:
    loop = asyncio.get_running_loop()
    versions: dict[str, int | None] = {}
    client.published_versions = versions  # type: ignore[attr-defined]
    original = client.protocol.fm.features["textDocument/publishDiagnostics"]

    def record(params: types.PublishDiagnosticsParams) -> None:
        versions[params.uri] = params.version
        original(params)

    client.protocol.fm.features["textDocument/publishDiagnostics"] = record

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(operations, min_size=1, max_size=12))
    def scenario(steps: list[Edit | Hover | Ask]) -> None:
        asyncio.run_coroutine_threadsafe(_play(client, steps), loop).result(timeout=300)

    try:
        await asyncio.to_thread(scenario)
    finally:
        client.protocol.fm.features["textDocument/publishDiagnostics"] = original
    # Still alive and answering.
    assert await lenses(client, unique_uri("none.prompt")) == []
