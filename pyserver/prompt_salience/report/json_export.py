"""Salience results as plain JSON-safe dicts (for `--json`, the extension and other tools).

Offsets are code-point offsets into `prompt + response`, as in `SalienceResult`. A score that
is NaN or infinite raises `NonFiniteScoreError` rather than writing JSON that strict parsers
refuse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from prompt_salience.results import SalienceResult


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
    document: dict[str, object] = {
        "model": result.model,
        "method": result.method,
        "granularity": result.granularity,
        "signed": result.signed,
        "prompt": result.prompt,
        "response": result.response,
        "response_is_generated": result.response_is_generated,
        "target": {
            "start": result.span.start,
            "end": result.span.end,
            "text": result.span_text,
        },
        # Segment scores are finite by now, so the scale is too.
        "scale": result.scale(),
        "segments": segments,
        "tokens": tokens,
        "notes": {k: _finite(v, f"note {k!r}") for k, v in result.notes.items()},
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
