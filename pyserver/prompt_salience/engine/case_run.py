"""One run of one case: settings resolved, prompt rendered, response generated (or the what-if
target taken), the default span found and explained. Shared by the CLI and the language server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import InputTooLongError, SpanError
from ..models.model_spec import ModelSpec
from ..prompt.chat_template import USER_TURN, wrap_for_chat
from ..prompt.parsed_prompt import PromptFile, PromptSettings
from ..prompt.source_map import SourceMap
from ..prompt.template import render_case
from ..results import CharSpan, SalienceResult
from ..salience.registry import method_class
from ..settings import Settings, front_matter_settings
from .span_selection import check_span, find_span
from .token_budget import case_character_overflow

if TYPE_CHECKING:  # the engine imports JAX: keep `runs` light for the CLI and the server
    from .explainer import Explainer, Generation


@attrs.frozen
class RunSettings(Settings):
    """Everything a run needs besides the prompt: the settings (see `prompt_salience.settings`)
    and, when one is chosen, the span to explain."""

    span: tuple[int, int] | None = None  # response offsets; wins over `explain`

    @classmethod
    def from_settings(cls, settings: Settings) -> RunSettings:
        return cls(**attrs.asdict(settings, recurse=False))

    def merged_with(self, front: PromptSettings, overrides: Mapping[str, object]) -> RunSettings:
        """These values, then the file's front-matter, then explicit overrides (flags)."""
        values: dict[str, Any] = {}
        for setting in front_matter_settings():
            value = getattr(front, setting.name)
            if value is not None:
                values[setting.name] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return attrs.evolve(self, **values)


@dataclass(frozen=True)
class PreparedPrompt:
    """A case ready for the model: the exact text sent, and where its characters came from."""

    case_name: str
    text: str
    source_map: SourceMap
    target: str | None


def use_chat_template(setting: str, spec: ModelSpec, prompt: str) -> bool:
    """`auto` wraps prompts for instruction-tuned presets, unless they already hold turns."""
    if setting == "on":
        return True
    if setting == "off":
        return False
    return spec.instruction_tuned and USER_TURN.strip() not in prompt


def prepare_prompt(
    document: PromptFile, case_name: str | None, *, chat_setting: str, spec: ModelSpec
) -> PreparedPrompt:
    rendered = render_case(document, case_name)
    text, source_map = rendered.text, rendered.source_map
    if use_chat_template(chat_setting, spec, text):
        text, source_map = wrap_for_chat(text, source_map)
    return PreparedPrompt(rendered.case_name, text, source_map, rendered.target)


def refuse_oversize(prepared: PreparedPrompt, *, max_new_tokens: int, max_length: int) -> None:
    """Raise InputTooLongError, before any model work, when the characters alone prove that the
    case cannot fit (see token_budget.character_overflow); the CLI and the server both call it."""
    found = case_character_overflow(
        prepared.text, prepared.target, max_new_tokens, max_length=max_length
    )
    if found is not None:
        raise InputTooLongError(found.problem(prepared.case_name), found.fix())


@dataclass(frozen=True)
class CaseRun:
    """What a run produced: the generation, the explained span and its salience."""

    case_name: str
    generation: Generation
    span: CharSpan  # response offsets
    result: SalienceResult


def respond(
    explainer: Explainer,
    prepared: PreparedPrompt,
    settings: RunSettings,
    *,
    on_stage: Callable[[str, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Generation:
    """The case's response: generated (greedy), or its what-if target taken as it is."""

    def stage(message: str, percent: int) -> None:
        if on_stage is not None:
            on_stage(message, percent)

    if prepared.target is not None:
        stage("Scoring the target", 40)
        return explainer.with_target(prepared.text, prepared.target, source_map=prepared.source_map)
    total = settings.max_new_tokens
    stage("Generating", 10)
    return explainer.generate(
        prepared.text,
        total,
        source_map=prepared.source_map,
        on_token=lambda count: stage(
            f"Generating: {count}/{total} tokens", 10 + 60 * count // total
        ),
        cancel=cancel,
    )


def run_case(
    explainer: Explainer,
    prepared: PreparedPrompt,
    settings: RunSettings,
    *,
    on_stage: Callable[[str, int], None] | None = None,
    on_span_fallback: Callable[[SpanError], None] | None = None,
    cancel: threading.Event | None = None,
) -> CaseRun:
    """Generate (or take the target), pick the default span, explain it.

    `on_stage(message, percent)` hears each step (tokens so far during generation). When the
    `explain` text is not in the response, the run fails, unless `on_span_fallback` is given:
    then it hears why and the whole response is explained (an editor keeps the generation).
    """

    def stage(message: str, percent: int) -> None:
        if on_stage is not None:
            on_stage(message, percent)

    generation = respond(explainer, prepared, settings, on_stage=stage, cancel=cancel)
    span = response_span(generation.response, settings, on_span_fallback)
    stage(f"Salience ({settings.method})", 75)
    result = explainer.explain(
        generation,
        span,
        method=settings.method,
        granularity=settings.granularity,
        method_options=method_options(settings),
        cancel=cancel,
    )
    return CaseRun(prepared.case_name, generation, span, result)


def response_span(
    response: str, settings: RunSettings, on_fallback: Callable[[SpanError], None] | None
) -> CharSpan:
    """The span a run explains: `span`, else the `explain` text (whole response without one);
    when the text is missing, the whole response if `on_fallback` is given (it hears why)."""
    if settings.span is not None:
        start, end = settings.span
        span = CharSpan(max(start, 0), max(start, end, 0))  # an inverted span is empty: refused
        check_span(response, span)
        return span
    try:
        return find_span(response, settings.explain)
    except SpanError as error:
        if on_fallback is None or settings.explain is None or not response.strip():
            raise
        on_fallback(error)
        return find_span(response, None)


def method_options(settings: RunSettings, method: str | None = None) -> dict[str, float]:
    """The options of `method` (default: the settings' method) as the settings hold them."""
    return method_class(method or settings.method).options_from(settings)
