"""An Explanation as the extension sees it: ExplanationResult with LSP ranges and colours."""

from __future__ import annotations

from ..engine.segmentation import segment_text
from ..report.colour_scale import ZERO_FRACTION, ColourScale
from ..report.layout import result_notices
from ..results import CharSpan
from .explanations import Explanation
from .open_documents import OpenDocument
from .positions import TextUnits
from .protocol import (
    ColourScaleInfo,
    ExplanationResult,
    LegendEntry,
    LensSpan,
    Rescore,
    ResultNotice,
    SegmentScore,
    TextSpan,
)


def explanation_result(
    document: OpenDocument, explanation: Explanation, intensity: float
) -> ExplanationResult:
    """The result of `explanation` with ranges in `document`'s current text."""
    result = explanation.result
    assert result is not None
    prompt_length = len(result.prompt)
    units = TextUnits(result.response, document.encoding)

    def response_span(start: int, end: int) -> TextSpan:
        return TextSpan(units.to_units(start - prompt_length), units.to_units(end - prompt_length))

    scale = ColourScale.for_result(result, intensity)
    ranking = explanation.ranking()
    index = document.index
    segments = []
    for i, segment in enumerate(result.segments):
        ranked = ranking.get(i)
        in_response = segment.start >= prompt_length
        segments.append(
            SegmentScore(
                index=i,
                text=segment.text,
                score=segment.score,
                rank=ranked.rank if ranked else None,
                share=ranked.share if ranked else 0.0,
                bucket=scale.bucket(segment.score),
                ranges=[index.range_of(a, b) for a, b in explanation.file_ranges(i)],
                response_span=response_span(segment.start, segment.end) if in_response else None,
            )
        )
    return ExplanationResult(
        uri=document.uri,
        version=document.version,
        case=explanation.case,
        model=result.model,
        method=result.method,
        granularity=result.granularity,
        signed=result.signed,
        response=result.response,
        response_is_generated=result.response_is_generated,
        response_tokens=[
            response_span(s.start, s.end) for s in result.token_spans if s.start >= prompt_length
        ],
        lens_spans=[
            LensSpan(units.to_units(span.start), units.to_units(span.end), kind)
            for kind, span in lens_pieces(result.response)
        ],
        span=response_span(result.span.start, result.span.end),
        span_text=result.span_text,
        scale=colour_scale_info(scale),
        segments=segments,
        notes=dict(result.notes),
        notices=[ResultNotice(n.text, n.warning) for n in result_notices(result.notes)],
        span_logprob=result.span_logprob,
        pinned=explanation.case in document.pinned,
        rescore=_rescore(explanation),
    )


def _rescore(explanation: Explanation) -> Rescore | None:
    baseline, result = explanation.rescored_from, explanation.result
    if baseline is None or result is None:
        return None
    if baseline.logprob is None or result.span_logprob is None:
        return None
    summary = baseline.summary(result.span_logprob)
    assert summary is not None
    return Rescore(
        pinned=baseline.pinned,
        before_logprob=baseline.logprob,
        logprob=result.span_logprob,
        delta_logprob=result.span_logprob - baseline.logprob,
        summary=summary,
    )


def colour_scale_info(scale: ColourScale) -> ColourScaleInfo:
    return ColourScaleInfo(
        signed=scale.signed,
        scale=scale.scale,
        steps=scale.steps,
        intensity=scale.intensity,
        zero_fraction=ZERO_FRACTION,
        caption=scale.caption(),
        legend=[
            LegendEntry(
                bucket=step.bucket,
                label=step.label,
                colour=scale.bucket_rgba(step.bucket),
                theme_colour=scale.theme_colour(step.bucket),
                low=step.low,
                high=step.high,
            )
            for step in scale.legend()
        ],
    )


def response_pieces(response: str, granularity: str) -> list[tuple[int, int]]:
    """Code-point spans of the response's non-blank `lines` or `sentences`, in order."""
    return [
        (s.start, s.end)
        for s in segment_text(response, granularity, token_spans=(), prompt_length=0)
    ]


def lens_pieces(response: str) -> list[tuple[str, CharSpan]]:
    """The response spans the response view offers as lenses (code points), with their kind:
    each non-blank line, then each sentence of a line that holds more than one (a one-sentence
    line is offered once, as a line). The background prefetch scores exactly these."""
    lines = [CharSpan(a, b) for a, b in response_pieces(response, "lines")]
    whole = set(lines)
    sentences = [CharSpan(a, b) for a, b in response_pieces(response, "sentences")]
    return [("line", span) for span in lines] + [
        ("sentence", span) for span in sentences if span not in whole
    ]


def first_line(text: str, width: int = 60) -> str:
    """The first non-blank line of `text`, cut to `width` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"
