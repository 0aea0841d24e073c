"""Dotprompt files and chat `.jsonl` files are left alone: one information note, no lens, no
hover, and no error."""

from __future__ import annotations

import pytest
from lsp_helpers import diagnostics_for, hover, lenses, open_document, unique_uri
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

DOTPROMPT = """---
model: googleai/gemini-1.5-flash
input:
  schema:
    name: string
---
{{role "system"}}
Greet {{name}}.
{{#if formal}}Be formal.{{/if}}
"""

CHAT = '{"messages": [{"role": "user", "content": "hi"}]}\n'


@pytest.mark.parametrize(
    ("name", "text", "line"), [("greet.prompt", DOTPROMPT, 6), ("chat.jsonl", CHAT, 0)]
)
async def test_other_tools_files_get_one_note_and_nothing_else(
    client: LanguageClient, name: str, text: str, line: int
) -> None:
    uri = unique_uri(name)
    open_document(client, uri, text)
    found = await diagnostics_for(client, uri)
    assert [d.severity for d in found] == [types.DiagnosticSeverity.Information]
    assert "leaves it alone" in found[0].message
    assert await lenses(client, uri) == []
    assert await hover(client, uri, types.Position(line=line, character=3)) is None
