"""Over stdio: a server whose Python lacks keras_hub answers a run with the one-line message
and the install command (issue 10, defect 7), and stays up."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest
import pytest_lsp
from lsp_helpers import close_document, execute, initialize_with, open_document, unique_uri
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

WITHOUT_KERAS_HUB = (
    "import sys\nsys.modules['keras_hub'] = None\n"
    "from prompt_salience.server import main\nsys.exit(main())"
)
SERVER = ClientServerConfig(server_command=[sys.executable, "-c", WITHOUT_KERAS_HUB])


@pytest_lsp.fixture(scope="module", loop_scope="module", config=SERVER)
async def bare(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    await initialize_with(lsp_client, {"maxNewTokens": 2, "preloadModel": False})
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_a_run_says_which_module_is_missing_and_how_to_install_it(
    bare: LanguageClient,
) -> None:
    uri = unique_uri("missing.prompt")
    open_document(bare, uri, "Suggestion: soup\nAnalysis:\n")
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(execute(bare, "promptSalience.run", {"uri": uri}), 300)
    message = caught.value.message
    assert "The Python module 'keras_hub' is not installed" in message
    assert "-m pip install keras-hub==0.32.0" in message
    assert "\n" not in message
    # Still up: it answers the next request.
    lenses = await bare.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    assert lenses
    close_document(bare, uri)
