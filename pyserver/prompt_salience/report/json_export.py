"""Salience results as plain JSON-safe dicts (for `--json`, the extension and other tools).

Offsets are code-point offsets into `prompt + response`, as in `SalienceResult`. A score that
is NaN or infinite raises `NonFiniteScoreError` rather than writing JSON that strict parsers
refuse. `target.logprob` is the explained span's log p in nats.

A comparison (`comparison_to_json`) is `{a, b, cross, delta_logprob, segments}`: `a` and `b`
are each side's result as above; `segments` are the aligned prompt segments, each
`{status, a: {start, end, text, score, share} | null, b: ... | null, share_change}`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from prompt_salience.report.layout import result_notices
from prompt_salience.results import AlignedSegment, Comparison, SalienceResult, ScoredSegment


class NonFiniteScoreError(ValueError):
    """A score (or another number) that JSON cannot hold: NaN or infinite."""


def result_to_json(
    result: SalienceResult,
    *,
    source_map: Mapping[str, object] | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """`result` as a dict of JSON values; `extra` keys are added at the top level.

    `source_map` (how the prompt maps back to a template file) is copied as is, after checking
    that it holds only JSON values.
    """
    if len(result.token_spans) != len(result.token_scores):
        raise ValueError(
            f"{len(result.token_spans)} token spans but {len(result.token_scores)} token scores"
        )
    segments = [
        {
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "score": _score(s.score, f"segment {i} ({s.text!r})"),
        }
        for i, s in enumerate(result.segments)
    ]
    tokens = [
        {"start": span.start, "end": span.end, "score": _score(score, f"token {i}")}
        for i, (span, score) in enumerate(zip(result.token_spans, result.token_scores, strict=True))
    ]
    target: dict[str, object] = {
        "start": result.span.start,
        "end": result.span.end,
        "text": result.span_text,
    }
    if result.span_logprob is not None:  # None only for results made without a model
        target["logprob"] = _finite(result.span_logprob, "the explained span's log p")
    document: dict[str, object] = {
        "model": result.model,
        "method": result.method,
        "granularity": result.granularity,
        "signed": result.signed,
        "prompt": result.prompt,
        "response": result.response,
        "response_is_generated": result.response_is_generated,
        "target": target,
        # Segment scores are finite by now, so the scale is too.
        "scale": result.scale(),
        "segments": segments,
        "tokens": tokens,
        "notes": {k: _finite(v, f"note {k!r}") for k, v in result.notes.items()},
        # The sentences every view shows with the result (e.g. integrated gradients' gap).
        "notices": [{"text": n.text, "warning": n.warning} for n in result_notices(result.notes)],
        "source_map": None if source_map is None else _json_value(source_map, "source_map"),
    }
    for key, value in (extra or {}).items():
        if key in document:
            raise ValueError(f"extra key {key!r} would replace a field of the result")
        document[key] = _json_value(value, f"extra[{key!r}]")
    return document


def results_to_json(
    results: Sequence[SalienceResult],
    *,
    source_maps: Sequence[Mapping[str, object] | None] | None = None,
    extras: Sequence[Mapping[str, object] | None] | None = None,
) -> dict[str, object]:
    """Several results (a dataset) as `{"items": [...]}`, each with its source map and extras."""
    for name, values in (("source_maps", source_maps), ("extras", extras)):
        if values is not None and len(values) != len(results):
            raise ValueError(f"{len(results)} results but {len(values)} {name}")
    return {
        "items": [
            result_to_json(
                result,
                source_map=source_maps[i] if source_maps is not None else None,
                extra=extras[i] if extras is not None else None,
            )
            for i, result in enumerate(results)
        ]
    }


def comparison_to_json(
    comparison: Comparison,
    *,
    source_maps: tuple[Mapping[str, object] | None, Mapping[str, object] | None] = (None, None),
    extras: tuple[Mapping[str, object] | None, Mapping[str, object] | None] = (None, None),
) -> dict[str, object]:
    """`comparison` as JSON values: each side as `result_to_json` writes it (with its source
    map and extras), then the cross-scores, the deltas and the aligned segments."""
    cross = comparison.cross
    return {
        "a": result_to_json(comparison.a, source_map=source_maps[0], extra=extras[0]),
        "b": result_to_json(comparison.b, source_map=source_maps[1], extra=extras[1]),
        "cross": {
            "a_target_under_a": _finite(cross.a_under_a, "log p(A's span | A)"),
            "a_target_under_b": _finite(cross.a_under_b, "log p(A's span | B)"),
            "b_target_under_a": _finite(cross.b_under_a, "log p(B's span | A)"),
            "b_target_under_b": _finite(cross.b_under_b, "log p(B's span | B)"),
        },
        "delta_logprob": {
            "a_target": _finite(cross.delta_a, "delta_logprob.a_target"),
            "b_target": _finite(cross.delta_b, "delta_logprob.b_target"),
        },
        "segments": [_aligned_json(i, s) for i, s in enumerate(comparison.segments)],
    }


def _aligned_json(index: int, aligned: AlignedSegment) -> dict[str, object]:
    change = aligned.share_change
    return {
        "status": aligned.status,
        "a": _side_json(aligned.a, aligned.share_a, f"aligned segment {index} (A)"),
        "b": _side_json(aligned.b, aligned.share_b, f"aligned segment {index} (B)"),
        "share_change": None if change is None else _finite(change, f"share change {index}"),
    }


def _side_json(
    segment: ScoredSegment | None, share: float | None, where: str
) -> dict[str, object] | None:
    if segment is None:
        return None
    return {
        "start": segment.start,
        "end": segment.end,
        "text": segment.text,
        "score": _score(segment.score, where),
        "share": None if share is None else _finite(share, where),
    }


def _finite(value: float, where: str) -> float:
    if not math.isfinite(value):
        raise NonFiniteScoreError(f"{where} is {value}, which JSON cannot hold")
    return float(value)


def _score(value: float, where: str) -> float:
    try:
        return _finite(value, where)
    except NonFiniteScoreError as error:
        raise NonFiniteScoreError(
            f"{error}: the salience computation overflowed or divided by zero "
            "(try float32 weights or another method)"
        ) from None


def _json_value(value: object, where: str) -> object:
    """`value` as plain JSON (dicts with str keys, lists, str, int, finite float, bool, None)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return _finite(value, where)
    if isinstance(value, Mapping):
        converted: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key {key!r} that is not a string")
            converted[key] = _json_value(item, f"{where}[{key!r}]")
        return converted
    if isinstance(value, list | tuple):
        return [_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{where} holds a {type(value).__name__}, which is not a JSON value")
