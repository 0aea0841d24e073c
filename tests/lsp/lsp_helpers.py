"""Helpers for driving the server: documents, commands, and an independent UTF-16 check."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "prompts"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_numbers = itertools.count(1)


def unique_uri(name: str) -> str:
    """A fresh file URI (tests never share documents)."""
    stem, _, suffix = name.rpartition(".")
    return (ROOT / "tests" / "lsp" / f"{stem}-{next(_numbers)}.{suffix}").as_uri()


def lines_of(text: str) -> list[str]:
    """The document's lines as LSP counts them (\\r\\n, \\r, \\n only), without breaks."""
    return _LINE_BREAK.split(text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, offset: int) -> types.Position:
    """The UTF-16 Position of code-point `offset`, computed independently of the server."""
    before = text[:offset]
    lines = lines_of(before)
    return types.Position(len(lines) - 1, utf16_len(lines[-1]))


def text_in(text: str, range_: types.Range) -> str:
    """The text a Range covers (UTF-16 columns)."""
    lines = lines_of(text)

    def offset(position: types.Position) -> int:
        start = sum(len(m.group()) for m in _line_chunks(text)[: position.line])
        line = lines[position.line]
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return start + index
            units += utf16_len(char)
        return start + len(line)

    return text[offset(range_.start) : offset(range_.end)]


def _line_chunks(text: str) -> list[re.Match[str]]:
    return list(re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text))


def check_range(text: str, range_: types.Range) -> None:
    """Fail unless `range_` lies inside the document and is ordered."""
    lines = lines_of(text)
    for position in (range_.start, range_.end):
        assert 0 <= position.line < len(lines), (range_, len(lines))
        assert 0 <= position.character <= utf16_len(lines[position.line]), (range_, lines)
    assert (range_.start.line, range_.start.character) <= (range_.end.line, range_.end.character)


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    language = "jsonl" if uri.endswith(".jsonl") else "prompt"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, language, version, text))
    )


def close_document(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )


def change(client: LanguageClient, uri: str, version: int, range_: types.Range, new: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(range=range_, text=new)],
        )
    )


async def diagnostics_for(client: LanguageClient, uri: str, timeout: float = 10) -> list[Any]:
    """The diagnostics published for `uri` (waits for the first publication)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while uri not in client.diagnostics:
        assert loop.time() < deadline, f"no diagnostics for {uri}"
        await asyncio.sleep(0.02)
    return list(client.diagnostics[uri])


async def fresh_diagnostics(client: LanguageClient, uri: str, timeout: float = 10) -> list[Any]:
    client.diagnostics.pop(uri, None)
    return await diagnostics_for(client, uri, timeout)


def execute(client: LanguageClient, command: str, argument: dict[str, Any]) -> asyncio.Future[Any]:
    return client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[argument])
    )


async def hover(client: LanguageClient, uri: str, position: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position)
    )


def hover_text(result: types.Hover | None) -> str:
    assert result is not None
    contents = result.contents
    assert isinstance(contents, types.MarkupContent)
    return contents.value


async def lenses(client: LanguageClient, uri: str) -> list[types.CodeLens]:
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    return list(found or [])


def progress_messages(client: LanguageClient) -> list[str]:
    """Every progress message received so far, all tokens, in order."""
    messages = []
    for values in client.progress_reports.values():
        for value in values:
            message = getattr(value, "message", None) or getattr(value, "title", None)
            if message:
                messages.append(message)
    return messages


def as_plain(value: Any) -> Any:
    """A custom response as plain JSON values (pygls hands unknown types over as namedtuples)."""
    if hasattr(value, "_asdict"):
        return {k: as_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    return value


async def request(client: LanguageClient, method: str, params: dict[str, Any]) -> Any:
    """Send a custom request; its result as plain JSON values."""
    return as_plain(await client.protocol.send_request_async(method, params))


async def initialize_with(
    client: LanguageClient,
    settings: dict[str, Any],
    capabilities: types.ClientCapabilities | None = None,
) -> None:
    """Initialize a test's own server with these `promptSalience` settings."""
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or types.ClientCapabilities(),
            initialization_options={"promptSalience": settings},
        )
    )
