"""Expectations checked on a response: each passes or fails with a reason in words, and a
failing case names the **offending span** of the response, the one to explain.

The offending span is what a reader wants explained: the text that matched a `not_contains` or
`not_regex` (the first occurrence or match), else, when a wanted text is missing, the case's
default span (its `explain`, else the whole response), which shows what the model wrote
instead and why. Pure: strings in, values out, no model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex  # type: ignore[import-untyped]

from ..errors import PromptSalienceError, SpanError
from ..prompt.parsed_prompt import Expectation, quote
from ..results import CharSpan
from .segmentation import trim
from .span_selection import find_span

REGEX_TIMEOUT_S = 1.0  # as for `explain`: a pattern that backtracks without end fails, not hangs


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation on one response; `found` is where its text or pattern is in the
    response (None when it is not)."""

    expectation: Expectation
    passed: bool
    reason: str
    found: CharSpan | None


@dataclass(frozen=True)
class Verdict:
    """Every expectation of a case on its response, and the span to explain when one fails
    (None when all pass, or when the response is empty and there is nothing to explain)."""

    outcomes: tuple[ExpectationOutcome, ...]
    offending_span: CharSpan | None

    @property
    def passed(self) -> bool:
        return all(outcome.passed for outcome in self.outcomes)

    @property
    def failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.passed)

    @property
    def reason(self) -> str:
        """The failures' reasons, or what held when the case passed."""
        if self.failures:
            return "; ".join(outcome.reason for outcome in self.failures)
        return "; ".join(outcome.reason for outcome in self.outcomes)


def check_response(
    response: str, expectations: Sequence[Expectation], explain: str | None = None
) -> Verdict:
    """Check `expectations` on `response`; `explain` is the case's `explain` setting, which
    names the default span explained when a wanted text is missing."""
    outcomes = tuple(evaluate(expectation, response) for expectation in expectations)
    failures = [outcome for outcome in outcomes if not outcome.passed]
    if not failures:
        return Verdict(outcomes, None)
    # A found text (a `not_*` that matched) is the most telling span; a text that is missing
    # has no place, so the case's default span stands in for it.
    for outcome in failures:
        if outcome.found is not None:
            span = trim(response, outcome.found.start, outcome.found.end)
            if span is not None:
                return Verdict(outcomes, span)
    return Verdict(outcomes, default_span(response, explain))


def evaluate(expectation: Expectation, response: str) -> ExpectationOutcome:
    """Whether `response` meets `expectation`, and why."""
    found = _find(expectation, response)
    shown = expectation.written.value if expectation.is_regex else quote(expectation.text)
    if expectation.is_regex:
        reason = (
            f"no match for {shown}"
            if found is None
            else f"{shown} matches {quote(response[found.start : found.end])}"
        )
    else:
        reason = f"the response {'does not contain' if found is None else 'contains'} {shown}"
    passed = (found is None) == expectation.negated
    return ExpectationOutcome(expectation, passed, reason, found)


def _find(expectation: Expectation, response: str) -> CharSpan | None:
    """The first occurrence of the text, or the first match of the pattern."""
    if not expectation.is_regex:
        index = response.find(expectation.text)
        return None if index < 0 else CharSpan(index, index + len(expectation.text))
    try:
        match = regex.search(expectation.text, response, timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        raise PromptSalienceError(
            f"The pattern {expectation.written.value} took over {REGEX_TIMEOUT_S:g} s on the "
            "response.",
            "Simplify the pattern: nested repeats such as (a+)+ can backtrack without end.",
        ) from None
    return None if match is None else CharSpan(match.start(), match.end())


def default_span(response: str, explain: str | None) -> CharSpan | None:
    """The case's default span: its `explain` where the response has it, else the whole
    response; None for an empty response."""
    for choice in (explain, None):
        try:
            return find_span(response, choice)
        except SpanError:
            continue
    return None
