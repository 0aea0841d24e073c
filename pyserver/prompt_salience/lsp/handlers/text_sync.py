"""textDocument/didOpen, didChange, didClose: our own copy of each prompt file's text.

Changes are applied here (incrementally), explanations moved or dropped, and diagnostics
published shortly after. Opening one starts loading the configured model in the background
(`preload.py`), so the first run finds it loaded.
"""

from __future__ import annotations

from lsprotocol.types import (
    TEXT_DOCUMENT_DID_CHANGE,
    TEXT_DOCUMENT_DID_CLOSE,
    TEXT_DOCUMENT_DID_OPEN,
    DidChangeTextDocumentParams,
    DidCloseTextDocumentParams,
    DidOpenTextDocumentParams,
)

from ...prompt.foreign_formats import ForeignFileError
from ..language_server import PromptSalienceServer
from ..open_documents import OpenDocument, is_prompt_document


def register(server: PromptSalienceServer) -> None:
    server.feature(TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(TEXT_DOCUMENT_DID_CLOSE)(did_close)


def did_open(ls: PromptSalienceServer, params: DidOpenTextDocumentParams) -> None:
    """Track `.prompt` and `.jsonl` documents (others are ignored); preload the model when the
    file is ours."""
    item = params.text_document
    if not is_prompt_document(item.uri, item.language_id):
        return
    previous = ls.documents.pop(item.uri, None)
    if previous is not None:
        previous.close()
    document = OpenDocument(
        uri=item.uri,
        text=item.text,
        version=item.version,
        language_id=item.language_id,
        encoding=ls.encoding,
    )
    ls.documents[item.uri] = document
    ls.schedule_diagnostics(document)
    if not isinstance(ls.parse(document).error, ForeignFileError):  # not Dotprompt's, say
        ls.preloader.document_opened()


def did_change(ls: PromptSalienceServer, params: DidChangeTextDocumentParams) -> None:
    """Apply the changes; results they touch are dropped (and runs stopped)."""
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return
    dropped = document.apply_changes(params.content_changes, params.text_document.version)
    for case in dropped:
        ls.result_changed(document, case, available=False, reason="dropped")
    ls.schedule_diagnostics(document)
    ls.rescorer.schedule(document)  # after a pause: the baseline response under the new text


def did_close(ls: PromptSalienceServer, params: DidCloseTextDocumentParams) -> None:
    """Forget the document: stop its runs, clear its diagnostics."""
    document = ls.documents.pop(params.text_document.uri, None)
    if document is None:
        return
    for case in list(document.explanations):
        ls.result_changed(document, case, available=False, reason="closed")
    document.close()
    ls.clear_diagnostics(document.uri)
