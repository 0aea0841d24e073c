"""Token counts at typing speed: does each case fit the model's context (and max_length)?
The rule is the engine's (`engine/token_budget.py`); this module finds a tokenizer to count with.

Uses the loaded model's tokenizer, or, before any load, the SentencePiece file of a converted
or local preset (no keras, no JAX). With neither (a Kaggle preset not loaded yet), no count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.case_run import RunSettings, prepare_prompt
from ..engine.token_budget import Overflow, case_overflow
from ..errors import PromptSalienceError
from ..models.model_spec import ModelSpec
from ..prompt.parsed_prompt import PromptFile
from .worker import ModelKey, ModelWorker

logger = logging.getLogger(__name__)

VOCABULARY = Path("assets") / "tokenizer" / "vocabulary.spm"
MAX_CASES_CHECKED = 200  # a large dataset is checked in part while typing


@dataclass(frozen=True)
class TooLong:
    """Case `case` (its CodeLens line `line`) does not fit, by the engine's rule."""

    case: str
    line: int
    overflow: Overflow

    def message(self) -> tuple[str, str]:
        return self.overflow.problem(self.case), self.overflow.fix()


class TokenBudget:
    """Counts prompt tokens for the configured model, without loading it."""

    def __init__(self, worker: ModelWorker) -> None:
        self._worker = worker
        self._files: dict[Path, Any] = {}

    def tokenizer(self, key: ModelKey) -> tuple[Any, int | None] | None:
        """(tokenizer, context length or None) for `key`, or None when none is at hand."""
        loaded = self._worker.loaded
        if loaded is not None and loaded.key.spec == key.spec:
            return loaded.tokenizer, loaded.context_length
        path = _vocabulary_path(key)
        if path is None or not path.is_file():
            return None
        if path not in self._files:
            from ..models.tokenizer import GemmaTokenizer

            try:
                self._files[path] = GemmaTokenizer(path.read_bytes())
            except (OSError, RuntimeError):
                logger.warning("Cannot read the tokenizer at %s", path, exc_info=True)
                return None
        return self._files[path], None

    def too_long(
        self, document: PromptFile, settings: RunSettings, spec: ModelSpec, key: ModelKey
    ) -> list[TooLong]:
        """The cases that do not fit, as the engine would refuse them."""
        found = self.tokenizer(key)
        if found is None:
            return []
        tokenizer, context = found
        problems = []
        for case in document.cases[:MAX_CASES_CHECKED]:
            try:
                prepared = prepare_prompt(
                    document, case.name, chat_setting=settings.chat_template, spec=spec
                )
            except PromptSalienceError:
                continue  # rendering problems are reported by the parser
            found_overflow = case_overflow(
                tokenizer,
                prepared.text,
                prepared.target,
                settings.max_new_tokens,
                context=context,
                max_length=settings.max_length,
            )
            if found_overflow is not None:
                problems.append(TooLong(case.name, case.line, found_overflow))
        return problems


def _vocabulary_path(key: ModelKey) -> Path | None:
    if key.spec.kind == "embedded":
        from ..models.embedded import embedded_preset_dir, is_converted

        preset = embedded_preset_dir(key.cache)
        return preset / VOCABULARY if is_converted(preset) else None
    if key.spec.kind == "local":
        return Path(key.spec.preset).expanduser() / VOCABULARY
    return None
