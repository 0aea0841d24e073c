"""One batch case's line in the results file: the response, the explained span and the scores
of the prompt's pieces, each tied to the template source so that cases can be aggregated.

The prompt is cut the way the template was written: each variable's value is one segment, and
the template's own text between them is cut at the run's granularity (lines for `tokens` and
`variables`). A template segment carries its file range in the template, the same in every
case; text the model sees that no file holds (a chat template's turn markers) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..prompt.source_map import SourceMap
from ..results import CharSpan, SalienceResult
from .segmentation import REGEX_PREFIX, group_tokens, split_text, trim

TEXT_GRANULARITIES = ("words", "lines", "sentences", "paragraphs")
SegmentKind = Literal["template", "variable", "added"]


@dataclass(frozen=True)
class PromptPiece:
    """A segment of the rendered prompt [start, end); template ones know their file range."""

    kind: SegmentKind
    start: int
    end: int
    name: str | None = None
    file_start: int | None = None
    file_end: int | None = None


def literal_granularity(granularity: str) -> str:
    """How the template's own text is cut: the run's text granularity, else lines."""
    if granularity in TEXT_GRANULARITIES or granularity.startswith(REGEX_PREFIX):
        return granularity
    return "lines"


def prompt_pieces(prompt: str, source_map: SourceMap, granularity: str) -> list[PromptPiece]:
    literal = literal_granularity(granularity)
    pieces: list[PromptPiece] = []
    for origin in source_map.origins:
        end = min(origin.end, len(prompt))
        if origin.start >= end:
            continue
        if origin.kind == "variable":
            span = trim(prompt, origin.start, end)
            if span is not None:
                pieces.append(PromptPiece("variable", span.start, span.end, origin.variable))
            continue
        for span in split_text(prompt, origin.start, end, literal):
            ranges = source_map.file_ranges(span.start, span.end)
            if not ranges:
                pieces.append(PromptPiece("added", span.start, span.end))
            else:
                first, last = ranges[0][0], ranges[-1][1]
                pieces.append(PromptPiece("template", span.start, span.end, None, first, last))
    return pieces


def piece_scores(result: SalienceResult, pieces: Sequence[PromptPiece]) -> list[float]:
    """Each piece's score: the sum of the scores of the prompt tokens it holds."""
    prompt_tokens = [i for i, s in enumerate(result.token_spans) if s.start < len(result.prompt)]
    groups = group_tokens(
        [CharSpan(p.start, p.end) for p in pieces],
        [result.token_spans[i] for i in prompt_tokens],
        result.text,
    )
    return [float(sum(result.token_scores[prompt_tokens[j]] for j in group)) for group in groups]


def case_record(
    case_id: str,
    variables: Mapping[str, str],
    result: SalienceResult,
    span: CharSpan,
    source_map: SourceMap,
    passed: bool | None,
) -> dict[str, Any]:
    """The JSON object of one case (see the module comment); `span` is in response offsets."""
    pieces = prompt_pieces(result.prompt, source_map, result.granularity)
    scores = piece_scores(result, pieces)
    segments = []
    for piece, score in zip(pieces, scores, strict=True):
        if piece.kind == "added":
            continue
        item: dict[str, Any] = {
            "start": piece.start,
            "end": piece.end,
            "text": result.prompt[piece.start : piece.end],
            "score": score,
            "kind": piece.kind,
        }
        if piece.kind == "variable":
            item["name"] = piece.name
        else:
            item["file_start"], item["file_end"] = piece.file_start, piece.file_end
        segments.append(item)
    return {
        "case_id": case_id,
        "vars": dict(variables),
        "response": result.response,
        "target": {
            "start": span.start,
            "end": span.end,
            "text": result.response[span.start : span.end],
            "logprob": result.span_logprob,
        },
        "method": result.method,
        "signed": result.signed,
        "segments": segments,
        "passed": passed,
    }
