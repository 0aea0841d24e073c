"""An untrusted workspace chooses nothing that runs (issue 10, defect 2), over stdio with the
real embedded Gemma: a file's front-matter `model:` is ignored with a warning on its line, runs
use the settings' model, and no file the front-matter names is read; once the client says the
workspace is trusted (promptSalience/trust), the warnings go and the file's model applies.

Its own server, started untrusted, under an audit hook that records every file opened or listed
under a folder the front-matter names (its bogus tokenizer is what the token count would read).
Same weights under two labels: the result's `model` says which model ran."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import (
    close_document,
    diagnostics_for,
    execute,
    fresh_diagnostics,
    open_document,
    unique_uri,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

# A preset folder a hostile file could name: a tokenizer that is not one.
NAMED = Path(tempfile.mkdtemp(prefix="untrusted-preset-"))
(NAMED / "assets" / "tokenizer").mkdir(parents=True)
(NAMED / "assets" / "tokenizer" / "vocabulary.spm").write_bytes(b"not a SentencePiece model")
OPENS = NAMED.with_name(NAMED.name + ".opens")  # the paths under NAMED the server touched
OPENS.touch()

AUDITED_SERVER = """
import os, sys
from prompt_salience.server import main
watched, fd = sys.argv[1], os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
def record(event, args):
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], str | os.PathLike):
        path = os.fsdecode(os.fspath(args[0]))
        if path.startswith(watched):
            os.write(fd, (event + " " + path + "\\n").encode())
sys.addaudithook(record)
sys.exit(main())
"""
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-c", AUDITED_SERVER, str(NAMED), str(OPENS)]
)
LOAD_TIMEOUT_S = 600  # a load on a busy 2-core machine
FILE_MODEL = "---\nmodel: filemodel:gemma3_270m\n---\nSuggestion: soup\nAnalysis:\n"
PATH_MODEL = f"---\ndescription: names a folder\nmodel: {NAMED}\n---\nHello\n"
IGNORED = "untrusted-front-matter"


@pytest_lsp.fixture(scope="module", loop_scope="module", config=SERVER)
async def untrusted(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    """A server told at start that the workspace is not trusted."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            initialization_options={
                "trusted": False,
                "promptSalience": {
                    "model": "settingsmodel:gemma3_270m",
                    "maxNewTokens": 2,
                    "preloadModel": False,
                    "prefetchSpans": False,
                    "rescoreOnEdit": False,
                },
            },
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def _ignored(diagnostics: list[Any]) -> list[Any]:
    return [d for d in diagnostics if d.code == IGNORED]


async def _run(client: LanguageClient, uri: str) -> dict[str, Any]:
    result: dict[str, Any] = await asyncio.wait_for(
        execute(client, "promptSalience.run", {"uri": uri}), LOAD_TIMEOUT_S
    )
    return result


async def test_front_matter_model_is_ignored_with_a_warning_on_its_line(
    untrusted: LanguageClient,
) -> None:
    uri = unique_uri("untrusted-warning.prompt")
    open_document(untrusted, uri, FILE_MODEL)
    try:
        (warning,) = _ignored(await fresh_diagnostics(untrusted, uri))
        assert warning.severity == types.DiagnosticSeverity.Warning
        assert warning.range.start.line == 1, "on the `model:` line"
        assert "workspace is not trusted" in warning.message
        assert "user settings" in warning.message
        assert "Manage Workspace Trust" in warning.message
    finally:
        close_document(untrusted, uri)


async def test_no_file_the_front_matter_names_is_read(untrusted: LanguageClient) -> None:
    uri = unique_uri("untrusted-path.prompt")
    open_document(untrusted, uri, PATH_MODEL)
    try:
        diagnostics = await fresh_diagnostics(untrusted, uri)
        (warning,) = _ignored(diagnostics)
        assert warning.range.start.line == 2
        assert [d for d in diagnostics if d.code != IGNORED] == [], "nothing about the folder"
        assert OPENS.read_text() == ""
    finally:
        close_document(untrusted, uri)


async def test_a_run_uses_the_settings_model(untrusted: LanguageClient) -> None:
    uri = unique_uri("untrusted-run.prompt")
    open_document(untrusted, uri, FILE_MODEL)
    try:
        result = await _run(untrusted, uri)
        assert result["model"] == "settingsmodel"
    finally:
        close_document(untrusted, uri)
    assert OPENS.read_text() == ""


async def test_once_trusted_the_file_model_applies(untrusted: LanguageClient) -> None:
    """Last: trust is granted for the rest of the session. The audit proves the tests above can
    fail: trusted, the token count reads the tokenizer the front-matter names."""
    named, uri = unique_uri("trusted-path.prompt"), unique_uri("trusted-run.prompt")
    open_document(untrusted, named, PATH_MODEL)
    open_document(untrusted, uri, FILE_MODEL)
    try:
        assert _ignored(await diagnostics_for(untrusted, named))
        assert _ignored(await diagnostics_for(untrusted, uri))
        untrusted.diagnostics.pop(named, None)
        untrusted.diagnostics.pop(uri, None)
        untrusted.protocol.notify("promptSalience/trust", {"trusted": True})
        assert _ignored(await diagnostics_for(untrusted, uri)) == []
        assert _ignored(await diagnostics_for(untrusted, named)) == []
        assert "vocabulary.spm" in OPENS.read_text()
        result = await _run(untrusted, uri)
        assert result["model"] == "filemodel"
    finally:
        close_document(untrusted, named)
        close_document(untrusted, uri)
