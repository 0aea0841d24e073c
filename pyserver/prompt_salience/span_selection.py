"""Choosing which span of the response to explain: the whole response, a text, or a /regex/."""

from __future__ import annotations

import regex  # type: ignore[import-untyped]

from .errors import SpanError
from .results import CharSpan


def _trimmed(text: str, start: int, end: int) -> CharSpan:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return CharSpan(start, end)


def find_span(response: str, explain: str | None) -> CharSpan:
    """The span of `response` named by `explain`: None = all of it (trimmed); `/pattern/` = the
    first regex match (group 0); anything else = the first occurrence of that text."""
    if not response.strip():
        raise SpanError(
            "The response is empty: there is nothing to explain.",
            "Raise max_new_tokens, or give a `target` to explain instead.",
        )
    if explain is None or not explain.strip():
        return _trimmed(response, 0, len(response))
    if len(explain) >= 2 and explain.startswith("/") and explain.endswith("/"):
        try:
            match = regex.search(explain[1:-1], response, timeout=1.0)
        except regex.error as error:
            raise SpanError(
                f"The `explain` pattern {explain} is not a valid regex: {error}.",
                "Fix the pattern, or give plain text to find in the response.",
            ) from error
        if match is None or match.end() == match.start():
            raise SpanError(
                f"The `explain` pattern {explain} matches nothing in the response "
                f"{_preview(response)}.",
                "Change the pattern, or explain the whole response (no `explain`).",
            )
        return _trimmed(response, match.start(), match.end())
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
