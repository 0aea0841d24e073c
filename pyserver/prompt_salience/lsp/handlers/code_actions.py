"""textDocument/codeAction: quick fixes, as the server decided them when it made the diagnostic.

Each of our diagnostics whose problem an edit mends carries the edits in its `data`
(`diagnostics.fix_data`): this handler turns them into WorkspaceEdits for the document version
they were computed on, and offers nothing for a diagnostic of an older version (its ranges may
have moved). It never reads a message.
"""

from __future__ import annotations

from typing import Any

from lsprotocol.types import (
    TEXT_DOCUMENT_CODE_ACTION,
    CodeAction,
    CodeActionKind,
    CodeActionOptions,
    CodeActionParams,
    Diagnostic,
    OptionalVersionedTextDocumentIdentifier,
    Position,
    Range,
    TextDocumentEdit,
    TextEdit,
    WorkspaceEdit,
)

from ..diagnostics import SOURCE
from ..language_server import PromptSalienceServer


def register(server: PromptSalienceServer) -> None:
    options = CodeActionOptions(code_action_kinds=[CodeActionKind.QuickFix])
    server.feature(TEXT_DOCUMENT_CODE_ACTION, options)(code_actions)


def code_actions(ls: PromptSalienceServer, params: CodeActionParams) -> list[CodeAction] | None:
    """One quick fix per edit carried by each of our diagnostics in the request."""
    only = params.context.only
    if only is not None and not any(CodeActionKind.QuickFix.startswith(k) for k in only):
        return None
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return None
    actions = []
    for diagnostic in params.context.diagnostics:
        data = diagnostic.data
        if diagnostic.source != SOURCE or not isinstance(data, dict):
            continue
        if data.get("version") != document.version:
            continue  # made for an older text: its ranges may no longer hold
        for fix in data.get("fixes", ()):
            actions.append(_quick_fix(document.uri, document.version, diagnostic, fix))
    return actions


def _quick_fix(uri: str, version: int, diagnostic: Diagnostic, fix: dict[str, Any]) -> CodeAction:
    edit = TextEdit(range=_range(fix["range"]), new_text=str(fix["newText"]))
    change = TextDocumentEdit(OptionalVersionedTextDocumentIdentifier(uri, version), [edit])
    return CodeAction(
        title=str(fix["title"]),
        kind=CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=WorkspaceEdit(document_changes=[change]),
        is_preferred=bool(fix.get("isPreferred")) or None,
    )


def _range(plain: dict[str, dict[str, int]]) -> Range:
    start, end = plain["start"], plain["end"]
    return Range(
        Position(start["line"], start["character"]), Position(end["line"], end["character"])
    )
