"""Choosing which span of the response to explain: the whole response, a text, or a /regex/."""

from __future__ import annotations

import regex  # type: ignore[import-untyped]

from ..errors import SpanError
from ..results import CharSpan
from .segmentation import trim


def find_span(response: str, explain: str | None) -> CharSpan:
    """The span of `response` named by `explain`: None = all of it (trimmed); `/pattern/` = the
    first regex match (group 0); anything else = the first occurrence of that text."""
    if not response.strip():
        raise SpanError(
            "The response is empty: there is nothing to explain.",
            "Raise max_new_tokens, or give a `target` to explain instead.",
        )
    if explain is None or not explain.strip():
        # Never None: the response has a non-space character (checked above).
        return trim(response, 0, len(response)) or CharSpan(0, len(response))
    if len(explain) >= 2 and explain.startswith("/") and explain.endswith("/"):
        try:
            match = regex.search(explain[1:-1], response, timeout=1.0)
        except regex.error as error:
            raise SpanError(
                f"The `explain` pattern {explain} is not a valid regex: {error}.",
                "Fix the pattern, or give plain text to find in the response.",
            ) from error
        found = None if match is None else trim(response, match.start(), match.end())
        if found is None:
            raise SpanError(
                f"The `explain` pattern {explain} matches nothing in the response "
                f"{_preview(response)}.",
                "Change the pattern, or explain the whole response (no `explain`).",
            )
        return found
    index = response.find(explain)
    if index < 0:
        raise SpanError(
            f"The text {explain!r} is not in the response {_preview(response)}.",
            "Pick text that the response contains, a /regex/, or no `explain` for all of it.",
        )
    return CharSpan(index, index + len(explain))


def check_span(response: str, span: CharSpan) -> None:
    """A span must be non-empty and inside the response."""
    if span.end > len(response) or span.start >= span.end:
        raise SpanError(
            f"The span [{span.start}:{span.end}] is outside the response "
            f"(it has {len(response)} characters) or empty.",
            f"Give 0 <= start < end <= {len(response)}.",
        )


def _preview(text: str, limit: int = 60) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(short)
