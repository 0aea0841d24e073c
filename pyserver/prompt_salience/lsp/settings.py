"""Read user settings (initializationOptions, didChangeConfiguration) into `Settings`.

The settings and their checks are declared in `prompt_salience.settings`; the editor sends
those declared `editor=True`, with the camelCase keys that pygls' converter gives their fields
(the keys package.json declares). Each message carries the whole section: a key left out (or
null) takes its default. A bad value is reported and the previous value kept, so one typo never
stops the server.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

import attrs
from lsprotocol.converters import get_converter

from ..errors import PromptSalienceError
from ..settings import Settings, editor_settings
from .protocol import SETTINGS_SECTION

_CONVERTER = get_converter()  # lsprotocol's, as pygls uses it: attrs fields in camelCase


@attrs.frozen
class _FieldName:
    """Stands in for a field's value, to learn the key the converter writes it under."""

    name: str


@cache
def wire_keys() -> dict[str, str]:
    """The key on the wire of each editor setting (by field name), as the converter names it."""
    names: dict[str, Any] = {s.name: _FieldName(s.name) for s in editor_settings()}
    marked = attrs.evolve(Settings(), **names)
    wire: dict[str, Any] = _CONVERTER.unstructure(marked)
    return {value.name: key for key, value in wire.items() if isinstance(value, _FieldName)}


def read_settings(raw: object, previous: Settings) -> tuple[Settings, list[str]]:
    """The settings in `raw` (defaults for keys left out, `previous` values for bad ones), and
    the problems found (one line each)."""
    if raw is None:
        return previous, []
    if not isinstance(raw, Mapping):
        return previous, [f"Settings must be an object, got {type(raw).__name__}."]
    section = raw.get(SETTINGS_SECTION)
    values: Mapping[str, Any] = section if isinstance(section, Mapping) else raw
    checked: dict[str, Any] = {}
    problems: list[str] = []
    for setting in editor_settings():
        key = wire_keys()[setting.name]
        value = values.get(key)
        if value is None:
            continue  # the default
        try:
            checked[key] = setting.checked(value)
        except PromptSalienceError as error:
            problems.append(f"Setting `{SETTINGS_SECTION}.{key}`: {error.one_line()}")
            checked[key] = getattr(previous, setting.name)
    problems += _unknown_keys(values)
    settings: Settings = _CONVERTER.structure(checked, Settings)
    return settings, problems


# Keys of the section that only the editor reads (the interpreter that starts us, LSP tracing),
# and `trusted`, which another editor may send among flat settings (see trust.py).
_CLIENT_ONLY = ("interpreter", "trace", "trusted")


def _unknown_keys(values: Mapping[str, Any]) -> list[str]:
    """A problem for each key that is no setting (a typo, or snake_case from another editor):
    silently ignoring it would leave the user wondering why it does nothing."""
    known = tuple(wire_keys().values())
    problems = []
    for key in values:
        if key in known or key in _CLIENT_ONLY:
            continue
        # `max_new_tokens` and `MaxNewTokens` are `maxNewTokens`: compare without case or `_`.
        same = [k for k in known if k.lower() == str(key).replace("_", "").lower()]
        close = same or difflib.get_close_matches(str(key), known, n=1)
        hint = f"Write `{close[0]}`." if close else f"Use one of: {', '.join(known)}."
        problems.append(
            f"Setting `{SETTINGS_SECTION}.{key}` is unknown, so it was ignored. Fix: {hint}"
        )
    return problems
