"""The model picker's facts: which models to list and how to word them, a preset folder's
check, the front-matter edit that sets a file's `model:`, and which errors the editor offers a
fix for. The editor only draws the list and sends the choice back."""

from __future__ import annotations

import json
import re

import yaml
from lsprotocol.types import Position, Range, TextEdit

from ..errors import PromptSalienceError
from ..models.kaggle_access import KaggleCredentialsError
from ..models.model_catalogue import (
    EMBEDDED_DESCRIPTION,
    KnownPreset,
    check_preset_folder,
)
from ..models.model_spec import DEFAULT_MODEL, parse_model_spec
from ..prompt.parsing import parse_prompt_file
from .positions import PositionIndex
from .protocol import KAGGLE_CREDENTIALS, ModelChoice

_PLAIN_SCALAR = re.compile(r"^[A-Za-z0-9_./~-][A-Za-z0-9_./~:-]*$")
_MODEL_LINE = re.compile(r"^model[ \t]*:[^\r\n]*", re.MULTILINE)
_OPENING = re.compile(r"\ufeff?---[ \t]*\r?\n")


def error_kind(error: BaseException) -> str:
    """Which fix the editor offers for `error` (docs/protocol.md), or ""."""
    return KAGGLE_CREDENTIALS if isinstance(error, KaggleCredentialsError) else ""


def embedded_choice() -> ModelChoice:
    return ModelChoice(
        DEFAULT_MODEL, "embedded", "Gemma 3 270M (embedded)", EMBEDDED_DESCRIPTION, True, ""
    )


def preset_choice(preset: KnownPreset, credentials: bool) -> ModelChoice:
    """A keras-hub preset, marked by whether it can be downloaded (credentials present)."""
    note = (
        "Kaggle credentials present (downloaded at first use)"
        if credentials
        else "needs Kaggle credentials (Prompt Salience: Set Kaggle credentials)"
    )
    size = f"{preset.parameters / 1e9:.1f}B parameters · " if preset.parameters else ""
    return ModelChoice(
        preset.name, "kaggle", preset.name, f"{size}{preset.description}", credentials, note
    )


def folder_choice(folder: str) -> ModelChoice:
    """A local preset folder, checked (a ModelError says why it cannot be one)."""
    path = check_preset_folder(folder)
    return ModelChoice(str(path), "local", path.name, str(path), True, "local preset folder")


def model_list(
    presets: tuple[KnownPreset, ...], credentials: bool, *settings_models: str
) -> list[ModelChoice]:
    """The embedded model, the presets, then the folders among `settings_models` that are
    valid preset folders (the ones the user chose before)."""
    choices = [embedded_choice(), *(preset_choice(p, credentials) for p in presets)]
    seen = {c.model for c in choices}
    for model in settings_models:
        try:
            spec = parse_model_spec(model)
        except PromptSalienceError:
            continue
        if spec.kind != "local" or spec.preset in seen:
            continue
        try:
            choices.append(folder_choice(spec.preset))
        except PromptSalienceError:
            continue  # a folder gone since: not offered
        seen.add(spec.preset)
    return choices


def yaml_scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back the same (not `yes`, `~`, `1.0`),
    else double-quoted (JSON strings are valid YAML)."""
    plain = _PLAIN_SCALAR.match(value) is not None and yaml.safe_load(value) == value
    return value if plain else json.dumps(value)


def model_edit(text: str, model: str, index: PositionIndex, path: str | None = None) -> TextEdit:
    """The edit that sets the front-matter's `model:` to `model`: replaces the key's line, adds
    it after the opening `---`, or adds a front-matter to a file without one. A file whose
    structure cannot be read raises its PromptFileError."""
    parsed = parse_prompt_file(text, path)
    line = f"model: {yaml_scalar(model)}"
    if parsed.raw:
        start = 1 if text.startswith("\ufeff") else 0
        at = index.position_at(start)
        return TextEdit(Range(at, at), f"---\n{line}\n---\n")
    opening = _OPENING.match(text)
    fm_start = opening.end() if opening is not None else 0
    found = _MODEL_LINE.search(text, fm_start, parsed.body_offset)
    if found is not None:
        return TextEdit(index.range_of(found.start(), found.end()), line)
    at = index.position_at(fm_start)
    return TextEdit(Range(at, Position(at.line, at.character)), f"{line}\n")
