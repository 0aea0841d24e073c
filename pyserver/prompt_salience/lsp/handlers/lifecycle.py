"""initialize, initialized, workspace/didChangeConfiguration and shutdown: settings and the model."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from lsprotocol.types import (
    INITIALIZE,
    INITIALIZED,
    SHUTDOWN,
    WORKSPACE_DID_CHANGE_CONFIGURATION,
    ConfigurationItem,
    ConfigurationParams,
    DidChangeConfigurationParams,
    InitializedParams,
    InitializeParams,
    MessageType,
)

from ...errors import Cancelled, PromptSalienceError
from ...models.model_spec import parse_model_spec
from ..language_server import PromptSalienceServer
from ..progress import WorkProgress
from ..protocol import SETTINGS_SECTION
from ..settings import read_settings

logger = logging.getLogger(__name__)
_background: set[asyncio.Task[None]] = set()


def register(server: PromptSalienceServer) -> None:
    server.feature(INITIALIZE)(initialize)
    server.feature(INITIALIZED)(initialized)
    server.feature(WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    server.feature(SHUTDOWN)(shutdown)


def initialize(ls: PromptSalienceServer, params: InitializeParams) -> None:
    """Settings from `initializationOptions` (no model is loaded until the first run)."""
    settings, problems = read_settings(params.initialization_options, ls.settings)
    ls.settings = settings
    for problem in problems:
        logger.warning(problem)


async def initialized(ls: PromptSalienceServer, params: InitializedParams) -> None:
    """Pull the `promptSalience` section when the client offers workspace/configuration."""
    await _pull_configuration(ls)


async def did_change_configuration(
    ls: PromptSalienceServer, params: DidChangeConfigurationParams
) -> None:
    """New settings (pushed, or pulled when the push is empty). A new model reloads now when
    one is loaded, else on the next run."""
    raw = params.settings
    if isinstance(raw, dict) and raw:
        _apply(ls, raw)
    else:
        await _pull_configuration(ls)


def shutdown(ls: PromptSalienceServer, params: Any) -> None:
    """Stop the runs and the worker."""
    for document in ls.documents.values():
        document.close()
    ls.worker.shutdown()


async def _pull_configuration(ls: PromptSalienceServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    try:
        values = await ls.workspace_configuration_async(
            ConfigurationParams(items=[ConfigurationItem(section=SETTINGS_SECTION)])
        )
    except Exception:
        logger.warning("workspace/configuration failed", exc_info=True)
        return
    if values and isinstance(values[0], dict) and values[0]:
        _apply(ls, values[0])


def _apply(ls: PromptSalienceServer, raw: dict[str, Any]) -> None:
    settings, problems = read_settings(raw, ls.settings)
    restyled = settings.intensity != ls.settings.intensity
    ls.settings = settings
    if problems:
        ls.show(" ".join(problems), MessageType.Warning)
    for document in ls.documents.values():
        ls.schedule_diagnostics(document)
        if restyled:  # the colours of every result change: clients fetch them again
            for case in document.explanations:
                ls.result_changed(document, case, available=True, reason="restyled")
    loaded = ls.worker.loaded_key
    if loaded is None:
        return
    try:
        key = ls.model_key(parse_model_spec(settings.model), settings.precision)
    except PromptSalienceError:
        return
    if key != loaded:
        task = asyncio.ensure_future(_reload(ls, key, settings.max_length))
        _background.add(task)
        task.add_done_callback(_background.discard)


async def _reload(ls: PromptSalienceServer, key: Any, max_length: int) -> None:
    """Load the newly configured model on the worker, with progress."""
    cancel = threading.Event()
    progress = await WorkProgress.start(ls, f"Loading {key.spec.label}", cancel)

    def job() -> None:
        ls.worker.explainer(key, max_length, lambda m: progress.report(m), cancel)

    try:
        await ls.worker.submit(job)
    except Cancelled:
        progress.end("Cancelled")
        return
    except PromptSalienceError as error:
        progress.end("Failed")
        ls.show(error.one_line(), MessageType.Error)
        return
    except Exception as error:
        logger.exception("Model reload failed")
        progress.end("Failed")
        ls.show(f"Could not load {key.spec.label}: {error}. Fix: check the model setting.")
        return
    progress.end(f"Loaded {key.spec.label}")
