"""The model picker's requests: the models to list (promptSalience/models), a preset folder's
check (promptSalience/checkModelFolder) and the edit that sets a file's front-matter `model:`
(promptSalience/modelEdit). The list's facts and words are in `lsp/model_choices.py`."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol.types import WorkspaceEdit
from pygls.exceptions import JsonRpcInvalidParams

from ...errors import PromptSalienceError
from ...models.model_catalogue import KnownPreset, kaggle_credentials_present, known_presets
from ..language_server import PromptSalienceServer
from ..model_choices import folder_choice, model_edit, model_list
from ..protocol import (
    MODEL_EDIT_REQUEST,
    MODEL_FOLDER_REQUEST,
    MODELS_REQUEST,
    ModelChoice,
    ModelEditParams,
    ModelFolderParams,
    ModelList,
    ModelsParams,
)
from ..trust import trusted_front

logger = logging.getLogger(__name__)


def register(server: PromptSalienceServer) -> None:
    server.feature(MODELS_REQUEST)(models)
    server.feature(MODEL_FOLDER_REQUEST)(check_model_folder)
    server.feature(MODEL_EDIT_REQUEST)(set_file_model)


async def models(ls: PromptSalienceServer, params: ModelsParams) -> ModelList:
    """The embedded model first, keras-hub's Gemma presets (marked by whether Kaggle
    credentials are present), then the preset folders the settings or the file name."""
    presets, credentials = await asyncio.gather(
        asyncio.to_thread(_presets), asyncio.to_thread(kaggle_credentials_present)
    )
    file_model: str | None = None
    may_choose = False
    uri = getattr(params, "uri", None)
    document = ls.documents.get(uri) if uri else None
    if document is not None and not document.is_dataset:
        may_choose = ls.trusted  # untrusted: a file's `model:` is ignored (lsp/trust.py)
        parsed = ls.parse(document).document
        if parsed is not None:
            file_model = trusted_front(parsed.settings, ls.trusted).model
    chosen = [m for m in (ls.settings.model, file_model) if m]
    return ModelList(
        model_list(presets, credentials, *chosen),
        ls.settings.model,
        file_model,
        may_choose,
        credentials,
    )


def check_model_folder(ls: PromptSalienceServer, params: ModelFolderParams) -> ModelChoice:
    """The folder as a choice, or InvalidParams saying why it is not a preset folder."""
    try:
        return folder_choice(params.path)
    except PromptSalienceError as error:
        raise JsonRpcInvalidParams(error.one_line()) from None


def set_file_model(ls: PromptSalienceServer, params: ModelEditParams) -> WorkspaceEdit:
    """The edit that sets `model:` in the document's front-matter (the client applies it)."""
    document = ls.open_document(params.uri)
    if not ls.trusted:
        raise JsonRpcInvalidParams(
            "The workspace is not trusted, so a file's model: is ignored. Fix: choose the model "
            "in your user settings, or trust the workspace."
        )
    try:
        edit = model_edit(document.text, params.model, document.index, document.path)
    except PromptSalienceError as error:
        raise JsonRpcInvalidParams(error.one_line()) from None
    return WorkspaceEdit(changes={document.uri: [edit]})


def _presets() -> tuple[KnownPreset, ...]:
    """keras-hub's presets; none (and a log line) when keras-hub cannot be imported."""
    try:
        return known_presets()
    except Exception:
        logger.warning("keras-hub's presets could not be read", exc_info=True)
        return ()
