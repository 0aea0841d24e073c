"""Which parts of the template drive the answers across all cases: each segment's share of the
case's salience (|score| over the sum of |scores| of the case's prompt segments, so the shares
of a case sum to 1), averaged over the cases, with its spread and how often it is in the top 3.

Template segments are keyed by their file range in the template, the same in every case; each
variable is one segment, wherever and however often it appears.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from ..prompt.parsed_prompt import PromptFile

Key = tuple[str, Any, Any]  # ("template", file_start, file_end) or ("variable", name, None)


def _key(segment: dict[str, Any]) -> Key:
    if segment.get("kind") == "variable":
        return ("variable", segment["name"], None)
    return ("template", segment["file_start"], segment["file_end"])


def case_shares(record: dict[str, Any]) -> dict[Key, float]:
    """Each segment's share of the case's salience (summed per variable)."""
    totals: dict[Key, float] = {}
    for segment in record["segments"]:
        key = _key(segment)
        totals[key] = totals.get(key, 0.0) + abs(float(segment["score"]))
    whole = sum(totals.values())
    return {key: (value / whole if whole > 0 else 0.0) for key, value in totals.items()}


def aggregate(records: Iterable[dict[str, Any]], template: PromptFile) -> dict[str, Any]:
    """The AGG.json object: {cases, segments: [...], failures: [case_id...]}."""
    per_case = []
    failures = []
    for record in records:
        per_case.append(case_shares(record))
        if record.get("passed") is False:
            failures.append(record["case_id"])
    keys = sorted({k for shares in per_case for k in shares}, key=lambda k: _position(k, template))
    top3_of_case = [set(sorted(shares, key=lambda k: -shares[k])[:3]) for shares in per_case]
    segments = []
    for key in keys:
        values = [shares.get(key, 0.0) for shares in per_case]
        top3 = [key in top3 for top3 in top3_of_case]
        kind, a, b = key
        start, end = (a, b) if kind == "template" else _first_placeholder(template, a)
        segments.append(
            {
                "kind": kind,
                "name": a if kind == "variable" else None,
                "start": start,
                "end": end,
                "text": template.text[start:end] if start is not None else f"{{{{{a}}}}}",
                "mean_share": statistics.fmean(values),
                "std_share": statistics.pstdev(values),
                "top3_rate": sum(top3) / len(top3),
            }
        )
    return {"cases": len(per_case), "segments": segments, "failures": failures}


def _first_placeholder(template: PromptFile, name: str) -> tuple[int | None, int | None]:
    for placeholder in template.placeholders:
        if placeholder.name == name:
            return placeholder.start, placeholder.end
    return None, None


def _position(key: Key, template: PromptFile) -> tuple[int, str]:
    kind, a, _ = key
    start = a if kind == "template" else _first_placeholder(template, a)[0]
    return (start if start is not None else 1 << 62, str(a))
