"""Cut `prompt + response` into segments (words, sentences, ...) and sum token scores per segment.

Offsets are code points. Segments are ordered, do not overlap, never straddle the end of the
prompt, and are trimmed of surrounding whitespace (whitespace between segments belongs to none),
except at token granularity where each token is a segment as it is.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import regex  # type: ignore[import-untyped]

from ..errors import PromptSalienceError
from ..prompt.line_index import LineIndex
from ..prompt.source_map import SourceMap
from ..results import CharSpan

REGEX_PREFIX = "regex:"
DEFAULT_SEPARATOR = r"\n+"  # LIT's default custom separator


@dataclass(frozen=True)
class Granularity:
    """A way of cutting text into segments, as users see it."""

    name: str
    label: str
    description: str


# The only list of granularities, in the order users see them. The last is the one
# parametrised form: `regex:` followed by a separator pattern.
GRANULARITY_CHOICES = (
    Granularity("tokens", "Tokens", "Each model token."),
    Granularity("words", "Words", "Words, split at whitespace (LIT's default)."),
    Granularity("sentences", "Sentences", "Sentences, ending at . ! or ? within a line."),
    Granularity("lines", "Lines", "Lines."),
    Granularity("paragraphs", "Paragraphs", "Paragraphs, separated by blank lines."),
    Granularity(
        "variables",
        "Variables",
        "One segment per {{variable}} value; the template text in lines, "
        "the response in sentences.",
    ),
    Granularity(
        f"{REGEX_PREFIX}<separator>",
        "Custom separator",
        f"Split where a regular expression matches, e.g. `{REGEX_PREFIX}{DEFAULT_SEPARATOR}`.",
    ),
)
GRANULARITIES = tuple(g.name for g in GRANULARITY_CHOICES if not g.name.startswith(REGEX_PREFIX))
DEFAULT_GRANULARITY = "words"  # as in LIT
# A user's separator runs on every request; a runaway pattern must not hang the server.
REGEX_TIMEOUT_S = 1.0

_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? (closing quotes/brackets included) when whitespace follows.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’»)\]}]*(?=\s)")
_BLANK_LINE_SEPARATOR = re.compile(r"(?:\r\n|\r|\n)(?:[^\S\r\n]*(?:\r\n|\r|\n))+")


def compile_separator(pattern: str) -> regex.Pattern:
    """Compile a custom separator regex; PromptSalienceError with the 1-based column on failure."""
    if not pattern:
        raise PromptSalienceError(
            "The custom separator regex is empty.",
            f"Write a pattern after `{REGEX_PREFIX}`, e.g. `{REGEX_PREFIX}{DEFAULT_SEPARATOR}`.",
            column=1,
        )
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        pos = exc.pos if isinstance(exc.pos, int) else 0
        raise PromptSalienceError(
            f"Invalid separator regex {pattern!r}: {exc.msg} at position {pos}.",
            "Fix the pattern (Python `regex` syntax), e.g. `\\n+` to split at line breaks.",
            column=pos + 1,
        ) from exc


def check_granularity(granularity: str) -> None:
    """Raise PromptSalienceError unless `granularity` is known or a valid `regex:<pattern>`.

    For a bad pattern, `column` is 1-based within the whole granularity string.
    """
    if granularity.startswith(REGEX_PREFIX):
        try:
            compile_separator(granularity[len(REGEX_PREFIX) :])
        except PromptSalienceError as exc:
            exc.column = (exc.column or 1) + len(REGEX_PREFIX)
            raise
        return
    if granularity not in GRANULARITIES:
        close = difflib.get_close_matches(granularity, GRANULARITIES, n=1)
        hint = f"Did you mean `{close[0]}`? " if close else ""
        raise PromptSalienceError(
            f"Unknown granularity {granularity!r}.",
            f"{hint}Use one of {', '.join(GRANULARITIES)}, or `{REGEX_PREFIX}<pattern>`.",
        )


def segment_text(
    text: str,
    granularity: str,
    *,
    token_spans: Sequence[CharSpan],
    source_map: SourceMap | None = None,
    prompt_length: int,
) -> list[CharSpan]:
    """Segments of `text` (= prompt + response) at `granularity`.

    `token_spans` are used at token granularity; `source_map` (of the prompt) at variables
    granularity, where each variable occurrence is a segment, the template text between them is
    split into lines and the response into sentences.
    """
    check_granularity(granularity)
    prompt_length = min(max(prompt_length, 0), len(text))
    if granularity == "tokens":
        return [CharSpan(s.start, s.end) for s in token_spans]
    if granularity == "variables":
        if source_map is None:
            raise PromptSalienceError(
                "Granularity `variables` needs the prompt's source map.",
                "Explain a rendered `.prompt` file, or choose another granularity.",
            )
        return [
            *_variable_segments(text, source_map, prompt_length),
            *_split(text, prompt_length, len(text), "sentences"),
        ]
    return [
        *_split(text, 0, prompt_length, granularity),
        *_split(text, prompt_length, len(text), granularity),
    ]


def split_text(text: str, start: int, end: int, granularity: str) -> list[CharSpan]:
    """Trimmed, non-empty segments of text[start:end] at a text granularity (words, lines,
    sentences, paragraphs, or `re:<separator>`)."""
    return list(_split(text, start, end, granularity))


def _split(text: str, start: int, end: int, granularity: str) -> Iterator[CharSpan]:
    """Trimmed, non-empty segments of text[start:end] at a text granularity."""
    if granularity == "words":
        for match in _WORD.finditer(text, start, end):
            yield CharSpan(match.start(), match.end())
    elif granularity == "lines":
        yield from _lines(text, start, end)
    elif granularity == "paragraphs":
        yield from _between(text, start, end, _BLANK_LINE_SEPARATOR.finditer(text, start, end))
    elif granularity == "sentences":
        for line in _lines(text, start, end):
            ends = _SENTENCE_END.finditer(text, line.start, line.end)
            yield from _between(text, line.start, line.end, ends, keep_separator=True)
    else:
        pattern = compile_separator(granularity[len(REGEX_PREFIX) :])
        try:
            separators = list(pattern.finditer(text, start, end, timeout=REGEX_TIMEOUT_S))
        except TimeoutError as exc:
            raise PromptSalienceError(
                f"The separator regex {granularity!r} took over {REGEX_TIMEOUT_S:g} s.",
                "Use a simpler pattern (avoid nested repetition such as `(a+)+`).",
            ) from exc
        yield from _between(text, start, end, separators)


def _lines(text: str, start: int, end: int) -> Iterator[CharSpan]:
    """Trimmed, non-empty lines of text[start:end], cut where the shared line index cuts."""
    lines = LineIndex(text[start:end])
    for line_start, line_end in lines.line_spans():
        span = trim(text, start + line_start, start + line_end)
        if span is not None:
            yield span


def _between(
    text: str,
    start: int,
    end: int,
    separators: Iterator[re.Match[str]] | Sequence[regex.Match],
    *,
    keep_separator: bool = False,
) -> Iterator[CharSpan]:
    """Trimmed pieces of text[start:end] between separator matches.

    With keep_separator the match ends the piece before it (sentence punctuation).
    """
    piece_start = start
    for match in separators:
        piece_end = match.end() if keep_separator else match.start()
        span = trim(text, piece_start, piece_end)
        if span is not None:
            yield span
        piece_start = match.end()
    span = trim(text, piece_start, end)
    if span is not None:
        yield span


def _variable_segments(text: str, source_map: SourceMap, prompt_length: int) -> Iterator[CharSpan]:
    """Each variable occurrence whole; the template text between them split into lines."""
    position = 0
    for origin in source_map.origins:
        start, end = min(origin.start, prompt_length), min(origin.end, prompt_length)
        if start >= end:
            continue
        if origin.kind == "variable":
            yield from _split(text, position, start, "lines")
            span = trim(text, start, end)
            if span is not None:
                yield span
            position = end
    yield from _split(text, position, prompt_length, "lines")


def trim(text: str, start: int, end: int) -> CharSpan | None:
    """text[start:end] without leading/trailing whitespace, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return CharSpan(start, end) if start < end else None


def group_tokens(
    segments: Sequence[CharSpan], token_spans: Sequence[CharSpan], text: str | None = None
) -> list[list[int]]:
    """Token indices per segment; every token lands in exactly one group (given any segment).

    A token belongs to the segment holding its first non-whitespace character (a token equal to
    a segment, as at token granularity, to that segment). A whitespace-only token, or one whose
    first non-whitespace character lies in no segment, belongs to the nearest segment before it,
    else to the first. Without `text`, the first character the token shares with a segment
    stands for its first non-whitespace one: the same for every built-in granularity, whose
    trimmed segments cover all non-whitespace characters.
    """
    groups: list[list[int]] = [[] for _ in segments]
    if not segments:
        return groups
    starts = [s.start for s in segments]
    ends = [s.end for s in segments]
    exact = {(s.start, s.end): i for i, s in enumerate(segments)}
    for index, token in enumerate(token_spans):
        segment = exact.get((token.start, token.end))
        if segment is None:
            anchor = _anchor(token, segments, ends, text)
            segment = max(bisect.bisect_right(starts, anchor) - 1, 0)
        groups[segment].append(index)
    return groups


def _anchor(
    token: CharSpan, segments: Sequence[CharSpan], ends: Sequence[int], text: str | None
) -> int:
    """The position that decides a token's segment (its start when nothing better is known)."""
    if text is not None:
        for position in range(token.start, min(token.end, len(text))):
            if not text[position].isspace():
                return position
        return token.start
    index = bisect.bisect_right(ends, token.start)
    while index < len(segments) and segments[index].start < token.end:
        if len(segments[index]):
            return max(token.start, segments[index].start)
        index += 1
    return token.start


def sum_by_segment(token_scores: Sequence[float], groups: Sequence[Sequence[int]]) -> list[float]:
    """Each segment's score: the sum of its tokens' scores (as LIT)."""
    return [float(sum(token_scores[i] for i in group)) for group in groups]
