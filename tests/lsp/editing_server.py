"""A server for editing features that need no model (completion, quick fixes): preloading off,
so opening a file loads nothing. Import `editor` into a test module to use it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "prompt_salience.server"])


@pytest_lsp.fixture(scope="module", loop_scope="module", config=SERVER)
async def editor(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    """A client that, like VS Code's, keeps diagnostics' `data` and takes quick fixes."""
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(data_support=True),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    documentation_format=[types.MarkupKind.Markdown]
                )
            ),
        )
    )
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            initialization_options={"promptSalience": {"preloadModel": False}},
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()
