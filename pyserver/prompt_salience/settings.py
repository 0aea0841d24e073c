"""Every user setting, declared once: `Settings` below.

Each field is one setting: its name, type and default, and (in its `Setting`) the description,
the allowed values, whether the editor offers it, whether a prompt file's front-matter may set
it, and its CLI flag. From this declaration come:
- the language server's reading of the editor's settings (`lsp/settings.py`);
- `RunSettings` (`engine/case_run.py`, a subclass) and who wins when they merge;
- the CLI's flags, with their defaults and help (`cli/common.py`);
- `package.json`'s `contributes.configuration` (written by `scripts/sync-manifest.py`;
  `tests/test_manifest.py` fails when the two disagree).

Reading it imports no JAX: the method and granularity lists come from their JAX-free registries.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, TypeVar

import attrs

from .engine.segmentation import (
    DEFAULT_GRANULARITY,
    GRANULARITIES,
    REGEX_PREFIX,
    check_granularity,
)
from .errors import PromptSalienceError
from .models.model_spec import DEFAULT_MODEL, PRECISIONS, parse_model_spec
from .models.shapes import DEFAULT_MAX_LENGTH
from .report.colour_scale import DEFAULT_INTENSITY
from .salience.methods.integrated_gradients import COMPLETENESS_BOUND, INITIAL_POINTS
from .salience.registry import method_class, method_option, methods

T = TypeVar("T")
_METADATA_KEY = "prompt_salience.setting"


@dataclass(frozen=True)
class Setting:
    """What is declared about one setting besides its type and default (filled in by
    `declared_settings()` from the field)."""

    description: str  # markdown, one or two sentences: the settings UI and the CLI's help
    editor: bool = True  # the editor offers it (package.json: promptSalience.<camelCase>)
    front_matter: bool = False  # a prompt file's front-matter may set it
    cli_flag: str | None = None  # e.g. "--max-new-tokens"
    choices: tuple[str, ...] = ()  # the allowed values, when they are a fixed list
    choice_descriptions: tuple[str, ...] = ()  # one per choice, for the settings UI
    minimum: float | None = None
    maximum: float | None = None
    # The check of values that a list cannot say (raises PromptSalienceError with the fix).
    check: Callable[[str], object] | None = None
    restricted: bool = False  # an untrusted workspace may not choose it (a path, a download)
    machine_scope: bool = False  # per machine (VS Code scope `machine-overridable`)
    editor_note: str = ""  # said in the settings UI only
    name: str = ""
    value_type: type = str
    default: Any = None

    def checked(self, value: object, *, name: str = "") -> Any:
        """`value` if it is a good value of this setting (a whole number given for a number
        becomes a float); else PromptSalienceError saying why and what to give. `name`, when
        given, opens the problems found here (those of `check` name their subject already)."""
        try:
            value = self._typed(value)
            self._check_range(value)
        except PromptSalienceError as error:
            if name:
                error.problem = f"{name}: {error.problem}"
            raise
        if isinstance(value, str) and self.default == "" and not value.strip():
            return ""  # blank means "not set" (e.g. the cache folder)
        if self.check is not None and isinstance(value, str):
            self.check(value)  # the one check of its kind (e.g. the registry's, for methods)
        return value

    def _typed(self, value: object) -> object:
        if self.value_type is bool:
            if isinstance(value, bool):
                return value
            raise PromptSalienceError(
                f"Expected true or false, got {value!r}.", "Give true or false."
            )
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if self.value_type is float and number:
            return float(value)  # type: ignore[arg-type]
        if self.value_type is int and number and isinstance(value, int):
            return value
        if self.value_type not in (int, float) and isinstance(value, str):
            return value  # a text, or an optional one (`str | None`: None never gets here)
        kind = {int: "a whole number", float: "a number"}.get(self.value_type, "a text")
        raise PromptSalienceError(
            f"Expected {kind}, got {value!r}.", f"Give {kind}, e.g. {self.default!r}."
        )

    def _check_range(self, value: object) -> None:
        """Refuse a value outside `choices` (unless `check` decides) or the bounds."""
        if self.choices and self.check is None and value not in self.choices:
            close = difflib.get_close_matches(str(value), self.choices, n=1)
            hint = f"Did you mean `{close[0]}`? " if close else ""
            raise PromptSalienceError(
                f"Unknown value {value!r}.", f"{hint}Use one of: {', '.join(self.choices)}."
            )
        if not isinstance(value, int | float):
            return
        low, high = self.minimum, self.maximum
        if (low is None or value >= low) and (high is None or value <= high):
            return  # (NaN fails both comparisons, so it is refused below)
        if low is not None and high is not None:
            wanted = f"between {low:g} and {high:g}"
        elif low is not None:
            wanted = f"of at least {low:g}"
        else:
            wanted = f"of at most {high:g}"
        raise PromptSalienceError(f"{value!r} is out of range.", f"Give a value {wanted}.")


def setting(default: T, description: str, **declared: Any) -> T:
    """A field of `Settings`: its default, and what else is declared about it (see Setting)."""
    declaration = Setting(description, **declared)
    field: T = attrs.field(default=default, metadata={_METADATA_KEY: declaration})
    return field


def _granularity_description() -> str:
    named = ", ".join(f"`{name}`" for name in GRANULARITIES)
    return f"Segments for new runs: {named}, or `{REGEX_PREFIX}<separator>`."


# A method option's setting takes its default and minimum from the method's own file.
_IG_STEPS = method_option("ig_steps")


@attrs.frozen
class Settings:
    """Every user setting and its default. The order is the settings UI's."""

    model: str = setting(
        DEFAULT_MODEL,
        "Model spec: `gemma3_270m` (embedded, offline), a keras-hub preset such as "
        "`gemma2_instruct_2b_en`, `label:preset`, `kaggle://…` or a preset folder.",
        front_matter=True,
        cli_flag="--model",
        check=parse_model_spec,
        restricted=True,
    )
    precision: str = setting(
        "float32", "Weights and activations precision.", cli_flag="--precision", choices=PRECISIONS
    )
    max_new_tokens: int = setting(
        32, "Tokens generated per run.", front_matter=True, cli_flag="--max-new-tokens", minimum=1
    )
    method: str = setting(
        "grad_l2",  # as in LIT
        "Salience method for new runs.",
        front_matter=True,
        cli_flag="--method",
        choices=tuple(cls.name for cls in methods()),
        choice_descriptions=tuple(cls.description for cls in methods()),
        check=method_class,
        editor_note="Switch the current view from the status bar.",
    )
    granularity: str = setting(
        DEFAULT_GRANULARITY,
        _granularity_description(),
        front_matter=True,
        cli_flag="--granularity",
        check=check_granularity,
    )
    intensity: float = setting(
        DEFAULT_INTENSITY,
        f"Colour strength 0..1 (LIT's default {DEFAULT_INTENSITY:g}).",
        cli_flag="--intensity",
        minimum=0,
        maximum=1,
        editor_note=f"At {DEFAULT_INTENSITY:g} the theme colours `promptSalience.*` are used as "
        "they are; other values scale the same hues.",
    )
    max_length: int = setting(
        DEFAULT_MAX_LENGTH, "Limit on prompt + response tokens.", cli_flag="--max-length", minimum=2
    )
    chat_template: str = setting(
        "auto",
        "Wrap prompts in Gemma's chat turns (auto: for instruction-tuned presets only).",
        cli_flag="--chat-template",
        choices=("auto", "on", "off"),
    )
    cache_dir: str = setting(
        "",
        "Where converted models are cached. Empty: `$PROMPT_SALIENCE_CACHE`, "
        "else `~/.cache/prompt-salience`.",
        cli_flag="--cache-dir",
        restricted=True,
        machine_scope=True,
    )
    preload_model: bool = setting(
        True,
        "Load the model these settings name in the background as soon as a prompt file opens, "
        "so the first run does not wait for it (never a model named by a file's front-matter).",
    )
    prefetch_spans: bool = setting(
        True,
        "After a run, compute in the background the salience of the response's lines and "
        "sentences, then of each response token, so that choosing another span shows at once "
        "(gradient methods; the lowest priority: any request stops it).",
    )
    rescore_on_edit: bool = setting(
        True,
        "After an edit and a pause in typing, force the pinned response (else the last one) as "
        "the target under the edited prompt, and show how its log-probability and salience "
        "changed. No generation.",
    )
    ig_steps: int = setting(
        _IG_STEPS.default,
        "Integrated gradients: the most gradient points (backward passes) a run may spend on the "
        f"path from the baseline to the input. It starts with {INITIAL_POINTS}, both ends "
        "included, and adds more where the path needs them until the scores sum to within "
        f"{COMPLETENESS_BOUND:.0%} of the change in log p; a result still over that bound at "
        "this cap is shown with a warning.",
        cli_flag="--steps",
        minimum=_IG_STEPS.minimum,
    )
    explain: str | None = setting(
        None,
        "The response span to explain: text, or `/regex/`; none: the whole response.",
        editor=False,
        front_matter=True,
        cli_flag="--explain",
    )


@cache
def declared_settings() -> tuple[Setting, ...]:
    """Every setting of `Settings`, in order, with its name, type and default filled in."""
    found = []
    for field in attrs.fields(attrs.resolve_types(Settings)):
        declaration: Setting = field.metadata[_METADATA_KEY]
        value_type = field.type if isinstance(field.type, type) else object  # `str | None`
        found.append(
            replace(declaration, name=field.name, value_type=value_type, default=field.default)
        )
    return tuple(found)


def editor_settings() -> tuple[Setting, ...]:
    """The settings the editor sends (package.json declares exactly these, and client-only ones)."""
    return tuple(s for s in declared_settings() if s.editor)


def front_matter_settings() -> tuple[Setting, ...]:
    """The settings a prompt file's front-matter may set (and then wins over the editor's)."""
    return tuple(s for s in declared_settings() if s.front_matter)
