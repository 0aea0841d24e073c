"""Kaggle access for keras-hub presets: credentials, the Gemma licence, and clear failures."""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import ModelError

LICENCE_HINT = (
    "and accept the Gemma licence on the model's Kaggle page "
    "(kaggle.com/models/google/gemma-2 for gemma2_* presets) with the same account"
)
CREDENTIALS_HINT = (
    "Give Kaggle credentials in one of two ways: a file ~/.kaggle/kaggle.json holding "
    '{"username": "...", "key": "..."} (from kaggle.com > Settings > Create New Token), '
    "or the environment variables KAGGLE_USERNAME and KAGGLE_KEY (in VS Code, the command "
    "Prompt Salience: Set Kaggle credentials sets them); " + LICENCE_HINT + "."
)


class KaggleCredentialsError(ModelError):
    """Kaggle credentials are missing, unreadable or refused: the editor offers to set them."""


def require_credentials(preset: str) -> None:
    """Fail before any network access when no Kaggle credentials are configured."""
    from kagglehub import config

    try:
        credentials = config.get_kaggle_credentials()
    except Exception as error:  # a malformed kaggle.json raises from inside kagglehub
        raise KaggleCredentialsError(
            f"The Kaggle credentials could not be read ({error}).", CREDENTIALS_HINT
        ) from error
    if credentials is None:
        raise KaggleCredentialsError(
            f"Downloading {preset!r} needs Kaggle credentials, and none are configured.",
            CREDENTIALS_HINT,
        )


def gemma_presets() -> dict[str, str]:
    """keras-hub's Gemma presets (Gemma 1, 1.1, 2, 3) mapped to their Kaggle handles."""
    import keras_hub

    found: dict[str, str] = {}
    for backbone in (keras_hub.models.GemmaBackbone, keras_hub.models.Gemma3Backbone):
        for name, entry in backbone.presets.items():
            found[name] = str(entry.get("kaggle_handle", ""))
    return found


def check_preset_name(preset: str) -> None:
    """An unknown preset name is an error with the closest known names."""
    if preset.startswith("kaggle://"):
        return
    known = gemma_presets()
    if preset not in known:
        close = difflib.get_close_matches(preset, list(known), n=3, cutoff=0.5)
        hint = f"Did you mean {', '.join(close)}? " if close else ""
        raise ModelError(
            f"{preset!r} is not a keras-hub Gemma preset.",
            f"{hint}Known presets include gemma2_instruct_2b_en, gemma2_2b_en, "
            "gemma_1.1_instruct_2b_en, gemma3_1b; or give a preset folder, or gemma3_270m "
            "for the embedded model.",
        )


def explain_download_failure(preset: str, error: BaseException) -> ModelError:
    """Turn what kagglehub / requests raise into a message that says what to do."""
    text = f"{type(error).__name__}: {error}"
    status = _http_status(error)
    if status == 401:
        return KaggleCredentialsError(
            f"Kaggle refused the credentials while downloading {preset!r} (HTTP 401).",
            "Check the username and key. " + CREDENTIALS_HINT,
        )
    if status == 403:
        return ModelError(
            f"Kaggle denied access to {preset!r} (HTTP 403): the Gemma licence is not accepted "
            "for this account.",
            "Sign in to Kaggle with the account of your credentials " + LICENCE_HINT + ".",
        )
    if status == 404:
        return ModelError(
            f"Kaggle has no model at {preset!r} (HTTP 404).",
            "Check the preset name or kaggle:// handle.",
        )
    network_words = ("connection", "resolve", "timed out", "timeout", "unreachable", "network")
    if any(word in text.lower() for word in network_words):
        return ModelError(
            f"Could not reach Kaggle to download {preset!r} ({_short(text)}).",
            "Connect to the internet (or a proxy that reaches kaggle.com), or use a preset "
            "already downloaded, a local preset folder, or gemma3_270m (embedded, offline).",
        )
    return ModelError(
        f"Downloading {preset!r} from Kaggle failed ({_short(text)}).",
        "Check the network and " + CREDENTIALS_HINT[0].lower() + CREDENTIALS_HINT[1:],
    )


def _http_status(error: BaseException) -> int | None:
    current: BaseException | None = error
    while current is not None:
        response: Any = getattr(current, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status
        current = current.__cause__ or current.__context__
    return None


def _short(text: str, limit: int = 160) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
