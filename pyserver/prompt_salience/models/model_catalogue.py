"""The models a user may choose, as the editor's model picker lists them: the embedded model,
keras-hub's Gemma presets (with whether Kaggle credentials are present), and preset folders;
and the device a loaded model runs on.

keras-hub and JAX are imported inside the functions that need them, so reading this module
costs nothing; `known_presets` imports keras-hub (about 2 s once), callers run it off the
event loop.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from .model_spec import EMBEDDED_ALIASES

EMBEDDED_DESCRIPTION = (
    "Gemma 3 base model of 270M parameters, 4-bit quantised (Q4_K_M): embedded, works offline"
)


@dataclass(frozen=True)
class KnownPreset:
    """A keras-hub Gemma preset: its name (what settings hold), keras-hub's description of it,
    its parameter count and its Kaggle handle."""

    name: str
    description: str
    parameters: int
    kaggle_handle: str


@functools.cache
def known_presets() -> tuple[KnownPreset, ...]:
    """keras-hub's generative Gemma presets (Gemma 1 to 3), in keras-hub's order.

    Left out: `gemma3_270m` (that name means the embedded model here) and the embedding models
    (they produce no text to explain)."""
    import keras_hub

    found = []
    for backbone in (keras_hub.models.GemmaBackbone, keras_hub.models.Gemma3Backbone):
        for name, entry in backbone.presets.items():
            if name in EMBEDDED_ALIASES or "embedding" in name:
                continue
            metadata = entry.get("metadata", {})
            found.append(
                KnownPreset(
                    name,
                    str(metadata.get("description", "")),
                    int(metadata.get("params", 0)),
                    str(entry.get("kaggle_handle", "")),
                )
            )
    return tuple(found)


def kaggle_credentials_present() -> bool:
    """Whether kagglehub finds credentials: KAGGLE_USERNAME and KAGGLE_KEY in the environment
    (where the editor puts the ones it keeps), or a kaggle.json."""
    from kagglehub import config

    try:
        return config.get_kaggle_credentials() is not None
    except Exception:  # a malformed kaggle.json raises from inside kagglehub: none usable
        return False


def check_preset_folder(folder: str) -> Path:
    """The folder, if it can be a keras-hub preset (it holds a readable config.json); else a
    ModelError saying why not."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ModelError(f"{folder} is not a folder.", "Choose a keras-hub preset folder.")
    config = path / "config.json"
    if not config.is_file():
        raise ModelError(
            f"{folder} holds no config.json, so it is not a keras-hub preset folder.",
            "Choose the folder that `save_to_preset` wrote (it holds config.json, "
            "tokenizer.json and the weights), or a Gemma preset by name.",
        )
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelError(
            f"{config} could not be read as JSON ({error}).",
            "Save the preset again with keras-hub's `save_to_preset`.",
        ) from error
    return path


def device_name() -> str:
    """The device the model runs on: "CPU", or the accelerator's name (e.g. "NVIDIA H200").

    Imports JAX: call it once a model is loaded (JAX is imported and its backend up then)."""
    import jax

    device = jax.devices()[0]
    if device.platform == "cpu":
        return "CPU"
    return str(device.device_kind)
