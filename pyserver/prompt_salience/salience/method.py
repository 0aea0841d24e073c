"""What a salience method is: one class with its name, label, description, sign, cost and
options. Each method lives in its own module of `salience/methods/`; `registry` finds them.

Nothing here imports JAX or NumPy: the language server reads the methods at typing speed.
Methods import the maths (`objective`, JAX) inside `attribute`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from .objective import SpanObjective


@dataclass(frozen=True)
class Attribution:
    """Scores for the tokens of a sequence (index 0 = BOS), zero outside the attributable range,
    and optional numeric notes (e.g. the completeness gap of integrated gradients)."""

    token_scores: np.ndarray
    notes: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MethodOption:
    """A number a method can be tuned by, and the run setting it is read from.

    The setting (a field of `prompt_salience.settings.Settings`) takes its default from here.
    """

    name: str  # the keyword the method takes, e.g. "steps"
    setting: str  # the run setting that holds it, e.g. "ig_steps"
    default: int
    minimum: int = 1


class SalienceMethod(ABC):
    """One way of scoring inputs for a span.

    `signed` methods have scores of both signs (positive: pushed towards the span). `cost` is a
    short phrase for people, formatted with the options (e.g. "{steps} backward passes").
    `order` places the method in every list shown to users (smaller first).
    """

    name: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str]
    signed: ClassVar[bool]
    cost: ClassVar[str]
    order: ClassVar[int]
    # Methods that score whole segments (ablation) get the token groups of the granularity.
    scores_segments: ClassVar[bool] = False
    options: ClassVar[tuple[MethodOption, ...]] = ()

    def __init__(self, **options: float) -> None:
        known = {option.name: option.default for option in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(f"{self.name} takes no option {', '.join(unknown)}")
        self.option_values: dict[str, float] = {**known, **options}

    @classmethod
    def options_from(cls, settings: object) -> dict[str, float]:
        """This method's options as `settings` (a Settings or RunSettings) holds them."""
        return {
            option.name: float(getattr(settings, option.setting, option.default))
            for option in cls.options
        }

    @classmethod
    def cost_with(cls, options: Mapping[str, float]) -> str:
        """The cost phrase for these options, e.g. "16 backward passes"."""
        values = {option.name: option.default for option in cls.options}
        values.update({name: int(value) for name, value in options.items()})
        return cls.cost.format(**values)

    @abstractmethod
    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        """Score the tokens (`groups`: token indices per segment, for segment methods)."""
