"""One language server (and one loaded model) for every LSP test: started over stdio, as an
editor would, with pytest-lsp. Tests open their own documents and close them."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER_COMMAND = [sys.executable, "-m", "prompt_salience.server"]


@pytest_lsp.fixture(scope="session", config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    """The client of the shared server: progress, markdown hovers, configuration pulls.

    `lsp_client.result_changes` records the server's promptSalience/resultChanged notices."""
    changes: list[object] = []
    lsp_client.result_changes = changes  # type: ignore[attr-defined]
    lsp_client.feature("promptSalience/resultChanged")(lambda params: changes.append(params))
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(
                content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
            )
        ),
    )
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            initialization_options={"promptSalience": {"maxNewTokens": 8}},
        )
    )
    yield
    await lsp_client.shutdown_session()
