"""The model picker's requests over stdio (no model is loaded): the list (the embedded model
first, then keras-hub's Gemma presets marked by Kaggle credentials), a preset folder's check,
the front-matter edit, and a missing-credentials failure marked for the editor's button.

Its own server, in an environment without Kaggle credentials (an empty KAGGLE_CONFIG_DIR)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import (
    as_plain,
    close_document,
    execute,
    initialize_with,
    open_document,
    request,
    unique_uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from prompt_salience.lsp.protocol import REQUEST_FAILED
from prompt_salience.models.kaggle_access import gemma_presets
from prompt_salience.prompt.parsing import parse_prompt_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

NO_CREDENTIALS = {
    **{k: v for k, v in os.environ.items() if not k.startswith("KAGGLE_")},
    "KAGGLE_CONFIG_DIR": tempfile.mkdtemp(prefix="no-kaggle-"),
}
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "prompt_salience.server"], server_env=NO_CREDENTIALS
)
WITH_MODEL = "---\nmodel: gemma3_1b\nvars:\n  dish: soup\n---\nSuggestion: {{dish}}\n"


@pytest_lsp.fixture(scope="module", loop_scope="module", config=SERVER)
async def picker(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    states: list[dict[str, Any]] = []
    lsp_client.model_states = states  # type: ignore[attr-defined]
    lsp_client.feature("promptSalience/modelState")(lambda params: states.append(as_plain(params)))
    await initialize_with(lsp_client, {"maxNewTokens": 2, "preloadModel": False})
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_every_model_state_carries_every_field(picker: LanguageClient) -> None:
    """The converter leaves out attrs fields equal to their default; the editor reads all."""
    states = picker.model_states  # type: ignore[attr-defined]
    for _ in range(200):  # the session's first state follows `initialized`
        if states:
            break
        await asyncio.sleep(0.05)
    idle = states[0]
    assert idle["state"] == "idle"
    assert set(idle) == {"state", "model", "text", "detail", "device", "precision", "errorKind"}


async def test_the_list_starts_with_the_embedded_model_then_the_presets_marked(
    picker: LanguageClient,
) -> None:
    uri = unique_uri("picker.prompt")
    open_document(picker, uri, WITH_MODEL)
    answer = await request(picker, "promptSalience/models", {"uri": uri})
    models = answer["models"]
    embedded = models[0]
    assert embedded["model"] == "gemma3_270m"
    assert embedded["kind"] == "embedded"
    assert embedded["available"] is True
    for words in ("base model", "270M parameters", "4-bit quantised"):
        assert words in embedded["description"]
    presets = [m for m in models if m["kind"] == "kaggle"]
    names = [m["model"] for m in presets]
    assert models[1 : 1 + len(presets)] == presets  # the presets come next, together
    assert {"gemma2_instruct_2b_en", "gemma2_2b_en", "gemma3_1b"} <= set(names)
    assert set(names) <= set(gemma_presets())
    assert "gemma3_270m" not in names  # that name is the embedded model here
    assert not any("embedding" in name for name in names)
    assert answer["credentials"] is False
    for preset in presets:
        assert preset["available"] is False
        assert "needs Kaggle credentials" in preset["note"]
    gemma2 = next(m for m in presets if m["model"] == "gemma2_instruct_2b_en")
    assert "2.6B parameters" in gemma2["description"]
    assert answer["current"] == "gemma3_270m"
    assert answer["fileModel"] == "gemma3_1b"
    assert answer["fileMayChoose"] is True
    close_document(picker, uri)


async def test_a_preset_folder_is_checked_and_then_listed(
    picker: LanguageClient, tmp_path: Path
) -> None:
    with pytest.raises(JsonRpcException) as caught:
        await request(picker, "promptSalience/checkModelFolder", {"path": str(tmp_path)})
    assert "holds no config.json" in caught.value.message
    assert "Fix:" in caught.value.message
    (tmp_path / "config.json").write_text(json.dumps({"module": "keras_hub"}))
    choice = await request(picker, "promptSalience/checkModelFolder", {"path": str(tmp_path)})
    assert choice["kind"] == "local"
    assert choice["model"] == str(tmp_path)
    picker.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"promptSalience": {"model": str(tmp_path), "preloadModel": False}}
        )
    )
    answer = await request(picker, "promptSalience/models", {})
    assert answer["current"] == str(tmp_path)
    assert answer["models"][-1]["model"] == str(tmp_path)
    assert answer["fileMayChoose"] is False  # no document
    picker.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"promptSalience": {"preloadModel": False}})
    )


def _apply(text: str, edit: dict[str, Any]) -> str:
    """Apply one TextEdit (ASCII text: UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True)

    def offset(position: dict[str, int]) -> int:
        return sum(len(line) for line in lines[: position["line"]]) + position["character"]

    start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
    return text[:start] + edit["newText"] + text[end:]


@pytest.mark.parametrize(
    "text",
    [
        WITH_MODEL,
        "---\nvars:\n  dish: soup\n---\nSuggestion: {{dish}}\n",
        "Suggestion: soup\n",
    ],
    ids=["replaces", "adds the key", "adds a front-matter"],
)
async def test_the_edit_sets_the_front_matter_model(picker: LanguageClient, text: str) -> None:
    uri = unique_uri("edit.prompt")
    open_document(picker, uri, text)
    chosen = "/models/my preset: v2"  # needs quoting in YAML
    answer = await request(picker, "promptSalience/modelEdit", {"uri": uri, "model": chosen})
    # pygls' client renames the uri key (not an identifier): one document, one edit
    ((edit,),) = answer["changes"].values()
    edited = _apply(text, edit)
    parsed = parse_prompt_file(edited)
    assert parsed.settings.model == chosen
    assert not [p for p in parsed.problems if p.severity == "error"]
    assert edited.endswith(text.split("---\n")[-1])  # the prompt itself is untouched
    close_document(picker, uri)


async def test_missing_credentials_are_marked_for_the_editor_and_not_shown(
    picker: LanguageClient,
) -> None:
    uri = unique_uri("kaggle.prompt")
    open_document(picker, uri, "---\nmodel: gemma2_2b_en\n---\nSuggestion: soup\n")
    shown = len(picker.messages)
    since = len(picker.model_states)  # type: ignore[attr-defined]
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(execute(picker, "promptSalience.run", {"uri": uri}), 300)
    assert caught.value.code == REQUEST_FAILED
    assert caught.value.data == {"kind": "kaggleCredentials"}
    assert "needs Kaggle credentials" in caught.value.message
    assert "Set Kaggle credentials" in caught.value.message
    assert len(picker.messages) == shown  # the editor shows it, with its button
    failed = [s for s in picker.model_states[since:] if s["state"] == "failed"]  # type: ignore[attr-defined]
    assert failed
    assert failed[-1]["errorKind"] == "kaggleCredentials"
    close_document(picker, uri)


async def test_an_untrusted_workspace_chooses_in_the_user_settings_only(
    picker: LanguageClient,
) -> None:
    uri = unique_uri("untrusted-picker.prompt")
    open_document(picker, uri, WITH_MODEL)
    picker.protocol.notify("promptSalience/trust", {"trusted": False})
    try:
        answer = await request(picker, "promptSalience/models", {"uri": uri})
        assert answer["fileMayChoose"] is False
        assert answer["fileModel"] is None  # ignored there (lsp/trust.py)
        with pytest.raises(JsonRpcException) as caught:
            await request(picker, "promptSalience/modelEdit", {"uri": uri, "model": "gemma3_1b"})
        assert "not trusted" in caught.value.message
    finally:
        picker.protocol.notify("promptSalience/trust", {"trusted": True})
        close_document(picker, uri)
    answer = await request(picker, "promptSalience/models", {"uri": unique_uri("none.prompt")})
    assert answer["fileMayChoose"] is False  # a document that is not open: nothing to edit
