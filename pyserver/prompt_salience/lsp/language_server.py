"""The language server: state shared by the handlers, and how to start it over stdio.

Handlers live in `handlers/`, one module per LSP feature; each registers itself on the server
built by `build_server()`. Model work goes through `model_work.py` to the single worker.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, BinaryIO

from lsprotocol.types import (
    MessageType,
    PublishDiagnosticsParams,
    ShowMessageParams,
    TextDocumentSyncKind,
)
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..engine.case_run import PreparedPrompt, RunSettings, prepare_prompt
from ..models.model_spec import ModelSpec, parse_model_spec
from ..prompt.parsed_prompt import PromptFile, PromptSettings
from .diagnostics import document_diagnostics
from .explanations import Explanation
from .open_documents import OpenDocument, Parse
from .preload import Preloader
from .protocol import RESULT_CHANGED_NOTIFICATION, ResultChangedParams, ServerSettings
from .rescore import Rescorer
from .rpc import PromptSalienceProtocol
from .token_budget import TokenBudget
from .trust import ignored_diagnostics, trusted_front
from .worker import ModelKey, ModelWorker

logger = logging.getLogger(__name__)

DIAGNOSTICS_DELAY_S = 0.05  # typing bursts publish once


class PromptSalienceServer(LanguageServer):
    """pygls server plus the open documents, settings, the model worker and its preloader."""

    def __init__(self) -> None:
        super().__init__(
            "prompt-salience",
            __version__,
            text_document_sync_kind=TextDocumentSyncKind.Incremental,
            protocol_cls=PromptSalienceProtocol,
        )
        self.documents: dict[str, OpenDocument] = {}
        self.settings = ServerSettings()
        self.trusted = True  # the workspace's trust, as the client says (lsp/trust.py)
        self.worker = ModelWorker()
        self.preloader = Preloader(self)
        self.token_budget = TokenBudget(self.worker)
        self.rescorer = Rescorer(self)
        self._pending_diagnostics: dict[str, asyncio.TimerHandle] = {}

    @property
    def rpc(self) -> PromptSalienceProtocol:
        protocol = self.protocol
        assert isinstance(protocol, PromptSalienceProtocol)
        return protocol

    @property
    def encoding(self) -> str:
        """The negotiated position encoding (utf-16 unless the client offered another)."""
        return str(self.protocol.workspace.position_encoding or "utf-16")

    # -- documents ----------------------------------------------------------------------------
    def open_document(self, uri: str) -> OpenDocument:
        """The open document `uri`; InvalidParams if the client has not opened it."""
        document = self.documents.get(uri)
        if document is None:
            raise JsonRpcInvalidParams(f"{uri} is not open: open it in the editor first.")
        return document

    def parse(self, document: OpenDocument) -> Parse:
        """The document's current parse. Tells the client about the results it dropped, and
        about those that edits moved (fetch them again for ranges in this version): the
        server alone decides what an edit does to a result."""
        parse, dropped, moved = document.parse(self.prepare)
        for case in dropped:
            self.result_changed(document, case, available=False, reason="dropped")
        for case in moved:
            self.result_changed(document, case, available=True, reason="moved")
        return parse

    def run_settings(self, front: PromptSettings) -> RunSettings:
        """Settings for a run: user settings, then the file's front-matter (less its model when
        the workspace is untrusted)."""
        front = trusted_front(front, self.trusted)
        return RunSettings.from_settings(self.settings).merged_with(front, {})

    def model_key(self, spec: ModelSpec, precision: str) -> ModelKey:
        return ModelKey(spec, precision, self.settings.cache_dir)

    def prepare(self, document: PromptFile, explanation: Explanation) -> PreparedPrompt:
        """Render an explanation's case as it was run (same chat-template choice)."""
        return prepare_prompt(
            document,
            explanation.case,
            chat_setting=explanation.settings.chat_template,
            spec=explanation.spec,
        )

    # -- telling the client -------------------------------------------------------------------
    def show(self, message: str, kind: MessageType = MessageType.Error) -> None:
        self.window_show_message(ShowMessageParams(type=kind, message=message))

    def result_changed(
        self, document: OpenDocument, case: str, *, available: bool, reason: str
    ) -> None:
        params = ResultChangedParams(document.uri, document.version, case, available, reason)
        self.protocol.notify(RESULT_CHANGED_NOTIFICATION, params)
        self.refresh_code_lenses()

    def refresh_code_lenses(self) -> None:
        """Ask the client to fetch CodeLens again (when it supports the refresh request)."""
        workspace = self.client_capabilities.workspace
        lens = workspace.code_lens if workspace is not None else None
        if lens is not None and lens.refresh_support:
            self.protocol.send_request("workspace/codeLens/refresh", None)

    def schedule_diagnostics(self, document: OpenDocument) -> None:
        """Publish diagnostics shortly (a burst of changes publishes once)."""
        pending = self._pending_diagnostics.pop(document.uri, None)
        if pending is not None:
            pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending_diagnostics[document.uri] = loop.call_later(
            DIAGNOSTICS_DELAY_S, self.publish_diagnostics, document.uri
        )

    def publish_diagnostics(self, uri: str) -> None:
        self._pending_diagnostics.pop(uri, None)
        document = self.documents.get(uri)
        if document is None:
            return
        parse = self.parse(document)
        too_long = []
        if parse.document is not None:
            settings = self.run_settings(parse.document.settings)
            try:
                spec = parse_model_spec(settings.model)
                key = self.model_key(spec, settings.precision)
                too_long = self.token_budget.too_long(parse.document, settings, spec, key)
            except Exception:  # a count is a nicety: never let it hide the other problems
                logger.warning("Token count failed", exc_info=True)
        diagnostics = document_diagnostics(document, parse, too_long)
        if not self.trusted:
            diagnostics += ignored_diagnostics(document, parse)
        self.text_document_publish_diagnostics(
            PublishDiagnosticsParams(document.uri, diagnostics, document.version)
        )

    def clear_diagnostics(self, uri: str) -> None:
        pending = self._pending_diagnostics.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.text_document_publish_diagnostics(PublishDiagnosticsParams(uri, []))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Unexpected errors: logged; shown once, briefly, without ending the session."""
        logger.error("Server error (%s): %s", getattr(source, "__name__", source), error)
        super().report_server_error(error, source)


def build_server() -> PromptSalienceServer:
    """A server with every handler registered."""
    from .handlers import register_all

    server = PromptSalienceServer()
    register_all(server)
    return server


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Run the server on these streams until the client says `exit`."""
    server = build_server()
    try:
        server.start_io(stdin=stdin, stdout=stdout)
    finally:  # `exit`, or the client went away: stop model work between steps, then leave
        for document in server.documents.values():
            document.close()
        server.preloader.shutdown()
        server.worker.shutdown()
