"""initialize, initialized, workspace/didChangeConfiguration, promptSalience/trust and shutdown:
settings, the workspace's trust and the model.

A settings change that names another model goes to the preloader (`preload.py`): it stops a
preload of the old model and, when preloading is on, loads the new one in the background."""

from __future__ import annotations

import logging
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

from ..language_server import PromptSalienceServer
from ..protocol import SETTINGS_SECTION, TRUST_NOTIFICATION
from ..settings import read_settings
from ..trust import read_trusted

logger = logging.getLogger(__name__)


def register(server: PromptSalienceServer) -> None:
    server.feature(INITIALIZE)(initialize)
    server.feature(INITIALIZED)(initialized)
    server.feature(WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    server.feature(TRUST_NOTIFICATION)(did_change_trust)
    server.feature(SHUTDOWN)(shutdown)


def initialize(ls: PromptSalienceServer, params: InitializeParams) -> None:
    """Settings and trust from `initializationOptions` (no model is loaded until the first run)."""
    ls.trusted = read_trusted(params.initialization_options)
    settings, problems = read_settings(params.initialization_options, ls.settings)
    ls.settings = settings
    for problem in problems:
        logger.warning(problem)


async def initialized(ls: PromptSalienceServer, params: InitializedParams) -> None:
    """Say that no model is loaded yet; pull the `promptSalience` section when the client
    offers workspace/configuration."""
    ls.preloader.session_started()
    await _pull_configuration(ls)


async def did_change_configuration(
    ls: PromptSalienceServer, params: DidChangeConfigurationParams
) -> None:
    """New settings (pushed, or pulled when the push is empty). A new model preloads now when
    preloading is on and a prompt file is open (or a model loaded), else loads at the next run."""
    raw = params.settings
    if isinstance(raw, dict) and raw:
        _apply(ls, raw)
    else:
        await _pull_configuration(ls)


def did_change_trust(ls: PromptSalienceServer, params: Any) -> None:
    """`{trusted}`: the user granted (or revoked) trust. The files' models apply (or not) from
    the next run, and each file's warnings about its ignored `model:` update now."""
    trusted = read_trusted(params, ls.trusted)
    if trusted == ls.trusted:
        return
    ls.trusted = trusted
    logger.info("Workspace trusted: %s", trusted)
    for document in ls.documents.values():
        ls.schedule_diagnostics(document)


def shutdown(ls: PromptSalienceServer, params: Any) -> None:
    """Stop the runs, the preload and the worker."""
    for document in ls.documents.values():
        document.close()
    ls.preloader.shutdown()
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
    previous = ls.settings
    ls.settings = settings
    if problems:
        ls.show(" ".join(problems), MessageType.Warning)
    for document in ls.documents.values():
        ls.schedule_diagnostics(document)
        if settings.intensity != previous.intensity:  # every result's colours change: refetch
            for case in document.explanations:
                ls.result_changed(document, case, available=True, reason="restyled")
    ls.preloader.settings_changed(previous)  # another model: stop the preload, start the new one
