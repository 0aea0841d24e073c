"""Completion items from the server's lists: variables, keys, methods, granularities, models.

Each list has one source: the parsed file (variables), the parser (keys), the method registry,
`GRANULARITY_CHOICES`, the settings' declarations (their descriptions), and the model picker's
catalogue (`models/model_catalogue.py`: the embedded model, then keras-hub's Gemma presets,
read once in a thread: importing keras-hub takes seconds, so the first answer may come without
them, marked incomplete).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from lsprotocol.types import (
    CompletionItem,
    CompletionItemKind,
    MarkupContent,
    MarkupKind,
    Range,
    TextEdit,
)

from ...engine.segmentation import GRANULARITY_CHOICES
from ...models.model_catalogue import EMBEDDED_DESCRIPTION, KnownPreset
from ...models.model_spec import DEFAULT_MODEL
from ...prompt.parsed_prompt import PromptFile
from ...report.layout import shorten
from ...salience.registry import methods
from ...settings import front_matter_settings

logger = logging.getLogger(__name__)

PRESETS_WAIT_S = 0.3  # how long one request waits for the preset list before answering without
# What the format's own keys are for (the settings say it in their declarations).
_FORMAT_KEYS = {
    "description": "What this prompt is for (shown in reports).",
    "target": "A what-if response: explain this text instead of generating one.",
    "vars": "The variables: `name: value` lines, used as `{{name}}` in the prompt.",
    "cases": "Sets of variable values, one `- name: ...` item per case.",
    "expect": "What the response must (not) hold: `- contains: ...`, `- regex: /.../`.",
    "name": "The case's name (its CodeLens and reports show it).",
    "contains": "The response must contain this text.",
    "not_contains": "The response must not contain this text.",
    "regex": "The response must match this `/regex/`.",
    "not_regex": "The response must not match this `/regex/`.",
}
_STRUCTURES = ("vars", "cases", "expect")  # keys whose value starts on the next line

_presets_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="presets")
_presets: Future[tuple[KnownPreset, ...]] | None = None


def variable_items(prompt_file: PromptFile, replaced: Range, closing: str) -> list[CompletionItem]:
    """Every variable the file defines, top-level first, each with a value it takes."""
    seen: dict[str, str] = {name: f"vars: {v.value}" for name, v in prompt_file.variables.items()}
    for case in prompt_file.cases:
        for name, value in case.variables.items():
            seen.setdefault(name, f"case `{case.name}`: {value.value}")
    return [
        CompletionItem(
            label=name,
            kind=CompletionItemKind.Variable,
            detail=shorten(where, 60),
            sort_text=f"{rank:04d}",
            text_edit=TextEdit(replaced, name + closing),
        )
        for rank, (name, where) in enumerate(seen.items())
    ]


def key_items(keys: tuple[str, ...], replaced: Range) -> list[CompletionItem]:
    """Front-matter keys, as `key: ` (or `key:` for a list or mapping), in the parser's order."""
    described = {s.name: s.description for s in front_matter_settings()} | _FORMAT_KEYS
    return [
        CompletionItem(
            label=key,
            kind=CompletionItemKind.Property,
            detail="setting" if key in described and key not in _FORMAT_KEYS else "key",
            documentation=_markdown(described.get(key, "")),
            sort_text=f"{rank:04d}",
            text_edit=TextEdit(replaced, f"{key}:" if key in _STRUCTURES else f"{key}: "),
        )
        for rank, key in enumerate(keys)
    ]


def method_items(replaced: Range, lead: str) -> list[CompletionItem]:
    """The registry's methods, in its order, with their cost under default settings."""
    return [
        _value_item(
            cls.name,
            CompletionItemKind.EnumMember,
            f"{cls.label} ({cls.cost_with(cls.options_from(object()))})",
            cls.description,
            rank,
            replaced,
            lead,
        )
        for rank, cls in enumerate(methods())
    ]


def granularity_items(replaced: Range, lead: str) -> list[CompletionItem]:
    return [
        _value_item(
            g.name, CompletionItemKind.EnumMember, g.label, g.description, r, replaced, lead
        )
        for r, g in enumerate(GRANULARITY_CHOICES)
    ]


async def model_items(replaced: Range, lead: str) -> tuple[list[CompletionItem], bool]:
    """The embedded model, then keras-hub's Gemma presets; False while those are not read yet."""
    module = CompletionItemKind.Module
    items = [
        _value_item(DEFAULT_MODEL, module, "embedded", EMBEDDED_DESCRIPTION, 0, replaced, lead)
    ]
    presets = await _known_presets()
    if presets is None:
        return items, False
    for rank, preset in enumerate(presets, start=1):
        size = f"{preset.parameters / 1e9:.1f}B parameters, " if preset.parameters else ""
        detail = f"keras-hub preset ({size}from Kaggle)"
        items.append(
            _value_item(preset.name, module, detail, preset.description, rank, replaced, lead)
        )
    return items, True


async def _known_presets() -> tuple[KnownPreset, ...] | None:
    """The presets (none without keras-hub), or None while they are still being read."""
    global _presets
    if _presets is None:
        _presets = _presets_pool.submit(_read_presets)
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(_presets)), PRESETS_WAIT_S)
    except TimeoutError:
        return None
    except Exception:  # keras-hub missing or broken: the embedded model is still offered
        logger.warning("Could not list keras-hub's Gemma presets", exc_info=True)
        _presets = None  # the next request tries again (e.g. after an install)
        return ()


def _read_presets() -> tuple[KnownPreset, ...]:
    from ...models.model_catalogue import known_presets

    return known_presets()


def _value_item(
    name: str,
    kind: CompletionItemKind,
    detail: str,
    documentation: str,
    rank: int,
    replaced: Range,
    lead: str,
) -> CompletionItem:
    """A value after `key:`; `lead` is the space to add when none was typed after the colon
    (it is part of the filter text too, so the list still narrows as the user types)."""
    return CompletionItem(
        label=name,
        kind=kind,
        detail=detail,
        documentation=_markdown(documentation),
        sort_text=f"{rank:04d}",
        filter_text=lead + name,
        text_edit=TextEdit(replaced, lead + name),
    )


def _markdown(text: str) -> MarkupContent | None:
    return MarkupContent(MarkupKind.Markdown, text) if text else None
