"""The registry of salience methods. Adding a method is one class with `@register`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import PromptSalienceError
from .objective import SpanObjective


@dataclass(frozen=True)
class Attribution:
    """Scores for the tokens of a sequence (index 0 = BOS), zero outside the attributable range,
    and optional numeric notes (e.g. the completeness gap of integrated gradients)."""

    token_scores: np.ndarray
    notes: dict[str, float] = field(default_factory=dict)


class SalienceMethod(ABC):
    """One way of scoring inputs for a span. `signed` methods have scores of both signs."""

    name: ClassVar[str]
    label: ClassVar[str]
    signed: ClassVar[bool]
    # Methods that score whole segments (ablation) get the token groups of the granularity.
    scores_segments: ClassVar[bool] = False

    def __init__(self, **options: float) -> None:
        self.options = options

    @abstractmethod
    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        """Score the tokens (`groups`: token indices per segment, for segment methods)."""


METHODS: dict[str, type[SalienceMethod]] = {}


def register(cls: type[SalienceMethod]) -> type[SalienceMethod]:
    METHODS[cls.name] = cls
    return cls


def method_names() -> list[str]:
    _load_builtin_methods()
    return list(METHODS)


def get_method(name: str, **options: float) -> SalienceMethod:
    _load_builtin_methods()
    cls = METHODS.get(name)
    if cls is None:
        raise PromptSalienceError(
            f"Unknown salience method {name!r}.", f"Use one of: {', '.join(METHODS)}."
        )
    return cls(**options)


def _load_builtin_methods() -> None:
    from . import ablation, gradients, integrated_gradients  # noqa: F401  (they register)
