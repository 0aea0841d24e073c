"""One case tested: its response generated once (or its target taken), its expectations
checked, and, when one fails, the offending span explained on that same generation.

Shared by `prompt-salience test` and, later, the language server's test runs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..prompt.parsed_prompt import Expectation
from ..results import SalienceResult
from .case_run import PreparedPrompt, RunSettings, method_options, respond
from .expectations import Verdict, check_response

if TYPE_CHECKING:  # the engine imports JAX: keep this module light to import
    from .explainer import Explainer, Generation


@dataclass(frozen=True)
class ExpectationRun:
    """A tested case: the generation, the verdict, and for a failure the offending span's
    salience (None when the case passed or the response is empty)."""

    case_name: str
    generation: Generation
    verdict: Verdict
    explanation: SalienceResult | None

    @property
    def passed(self) -> bool:
        return self.verdict.passed


def run_expectations(
    explainer: Explainer,
    prepared: PreparedPrompt,
    expectations: Sequence[Expectation],
    settings: RunSettings,
    *,
    cancel: threading.Event | None = None,
) -> ExpectationRun:
    """Generate (or take the target), check `expectations`, explain a failure's offending span.

    A passing case costs one generation and no salience pass.
    """
    generation = respond(explainer, prepared, settings, cancel=cancel)
    verdict = check_response(generation.response, expectations, settings.explain)
    explanation = None
    if verdict.offending_span is not None:
        explanation = explainer.explain(
            generation,
            verdict.offending_span,
            method=settings.method,
            granularity=settings.granularity,
            method_options=method_options(settings),
            cancel=cancel,
        )
    return ExpectationRun(prepared.case_name, generation, verdict, explanation)
