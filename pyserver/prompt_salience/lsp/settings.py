"""Read user settings (initializationOptions, didChangeConfiguration) into ServerSettings.

Keys may be camelCase (VS Code) or snake_case. Each message carries the whole section: a key
left out (or null) takes its default. A bad value is reported and the previous value kept, so
one typo never stops the server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from ..engine.case_run import CHAT_TEMPLATE_CHOICES
from ..engine.segmentation import check_granularity
from ..errors import PromptSalienceError
from ..models.model_spec import PRECISIONS, parse_model_spec
from ..report.colour_scale import check_intensity
from ..salience.registry import method_class
from .protocol import SETTINGS_SECTION, ServerSettings

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def read_settings(raw: object, previous: ServerSettings) -> tuple[ServerSettings, list[str]]:
    """The settings in `raw` (defaults for keys left out, `previous` values for bad ones), and
    the problems found (one line each)."""
    if raw is None:
        return previous, []
    if not isinstance(raw, Mapping):
        return previous, [f"Settings must be an object, got {type(raw).__name__}."]
    section = raw.get(SETTINGS_SECTION)
    values: Mapping[str, Any] = section if isinstance(section, Mapping) else raw
    known = {field.name for field in attrs.fields(ServerSettings)}
    changes: dict[str, object] = {}
    problems: list[str] = []
    for key, value in values.items():
        name = _snake(str(key))
        if name not in known or value is None:
            continue
        try:
            changes[name] = _check(name, value)
        except (PromptSalienceError, ValueError, TypeError) as error:
            text = error.one_line() if isinstance(error, PromptSalienceError) else str(error)
            problems.append(f"Setting `{SETTINGS_SECTION}.{key}`: {text}")
            changes[name] = getattr(previous, name)
    return ServerSettings(**changes), problems  # type: ignore[arg-type]


def _check(name: str, value: object) -> object:
    """The value of setting `name`, checked; raises with a message on a bad one."""
    if name in ("max_new_tokens", "max_length"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"must be a positive whole number, got {value!r}.")
        return value
    if name == "intensity":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number between 0 and 1, got {value!r}.")
        check_intensity(float(value))
        return float(value)
    if not isinstance(value, str):
        raise TypeError(f"must be a text, got {value!r}.")
    if name == "model":
        parse_model_spec(value)
    elif name == "precision" and value not in PRECISIONS:
        raise ValueError(f"unknown precision {value!r}; use one of {', '.join(PRECISIONS)}.")
    elif name == "method":
        method_class(value)
    elif name == "granularity":
        check_granularity(value)
    elif name == "chat_template" and value not in CHAT_TEMPLATE_CHOICES:
        raise ValueError(f"use one of {', '.join(CHAT_TEMPLATE_CHOICES)}, not {value!r}.")
    elif name == "cache_dir" and not value.strip():
        return None
    return value
