"""Compare two runs, A and B: how likely each answer is under the other prompt, and how the
salience moved on the prompt segments the two share.

- **Cross-scores.** A's response is forced as the target after B's prompt, and its explained
  span scored there; B's likewise after A's prompt. Nothing is generated. The deltas are
  "B minus A" for both answers (`CrossScores.delta_a`, `.delta_b`).
- **Aligned segments.** Each side's prompt segments (at its result's granularity) are aligned
  by `difflib.SequenceMatcher` on their texts, after the common head and tail (see `_opcodes`):
  equal runs are `same`, a replaced run pairs its segments in order as `changed` (the longer
  side's extras are `removed` / `added`), and inserted / deleted runs are `added` / `removed`. Only prompt segments are aligned, never the
  response. Offsets stay those of each side's prompt, so each side's source map takes a
  segment back to its template.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import PromptSalienceError
from ..models.model_spec import parse_model_spec
from ..results import (
    AlignedSegment,
    Comparison,
    CrossScores,
    SalienceResult,
    ScoredSegment,
    SegmentStatus,
)

if TYPE_CHECKING:  # the explainer imports JAX: alignment alone stays light
    from ..settings import Settings
    from .case_run import CaseRun
    from .explainer import Explainer


def compare_runs(
    explainer: Explainer, a: CaseRun, b: CaseRun, *, a_label: str, b_label: str
) -> Comparison:
    """A and B compared: their results, the cross-scores and the aligned prompt segments.

    Both results must use the same method and granularity (their shares are compared) and the
    same model (the explainer's).
    """
    check_comparable(a.result, b.result)
    return Comparison(
        a=a.result,
        b=b.result,
        a_label=a_label,
        b_label=b_label,
        cross=cross_scores(explainer, a, b),
        segments=align_segments(a.result, b.result),
    )


def check_comparable(a: SalienceResult, b: SalienceResult) -> None:
    """Refuse results whose salience cannot be compared segment by segment."""
    for what, left, right, fix in (
        ("model", a.model, b.model, "Run both sides on the same model."),
        (
            "method",
            a.method,
            b.method,
            "Set the same `method:` in both files, or pass --method.",
        ),
        (
            "granularity",
            a.granularity,
            b.granularity,
            "Set the same `granularity:` in both files, or pass --granularity.",
        ),
    ):
        if left != right:
            raise PromptSalienceError(
                f"A is explained with {what} {left!r} and B with {right!r}: "
                "their salience cannot be compared.",
                fix,
            )


def cross_scores(explainer: Explainer, a: CaseRun, b: CaseRun) -> CrossScores:
    """log p of each side's explained span under both prompts, forward passes only."""
    return CrossScores(
        a_under_a=_forced_logprob(explainer, a, a),
        a_under_b=_forced_logprob(explainer, a, b),
        b_under_a=_forced_logprob(explainer, b, a),
        b_under_b=_forced_logprob(explainer, b, b),
    )


def _forced_logprob(explainer: Explainer, answer: CaseRun, prompt_of: CaseRun) -> float:
    """log p(`answer`'s span | `prompt_of`'s prompt + `answer`'s response before the span).

    The response is re-tokenized as a forced target. Under its own prompt this is usually the
    very token sequence the model generated, and the result's log p is reused; when decoding
    and re-encoding split the text differently, both sides are scored on the same re-encoded
    tokens, so that each delta compares like with like.
    """
    own = answer.generation
    forced = explainer.with_target(prompt_of.generation.prompt, own.response)
    if forced.token_ids == own.token_ids and answer.result.span_logprob is not None:
        return answer.result.span_logprob
    return explainer.span_logprob(forced, answer.span)


def prompt_segments(result: SalienceResult) -> tuple[ScoredSegment, ...]:
    """The segments of `result` that lie in its prompt (segments never straddle its end)."""
    end = len(result.prompt)
    return tuple(s for s in result.segments if s.end <= end)


def segment_shares(segments: Sequence[ScoredSegment]) -> list[float]:
    """Each segment's |score| over the sum of |scores| (all 0 when every score is 0).

    For signed methods this is the share of influence in either direction (see
    `results.AlignedSegment`).
    """
    total = sum(abs(s.score) for s in segments)
    return [abs(s.score) / total if total else 0.0 for s in segments]


def align_segments(a: SalienceResult, b: SalienceResult) -> tuple[AlignedSegment, ...]:
    """A's and B's prompt segments paired by a diff of their texts, in prompt order."""
    left, right = prompt_segments(a), prompt_segments(b)
    left_shares, right_shares = segment_shares(left), segment_shares(right)

    def pair(status: SegmentStatus, i: int | None, j: int | None) -> AlignedSegment:
        return AlignedSegment(
            status=status,
            a=None if i is None else left[i],
            b=None if j is None else right[j],
            share_a=None if i is None else left_shares[i],
            share_b=None if j is None else right_shares[j],
        )

    aligned: list[AlignedSegment] = []
    for tag, i1, i2, j1, j2 in _opcodes([s.text for s in left], [s.text for s in right]):
        if tag == "equal":
            pairs = zip(range(i1, i2), range(j1, j2), strict=True)
            aligned.extend(pair("same", i, j) for i, j in pairs)
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        aligned.extend(pair("changed", i1 + k, j1 + k) for k in range(paired))
        aligned.extend(pair("removed", i, None) for i in range(i1 + paired, i2))
        aligned.extend(pair("added", None, j) for j in range(j1 + paired, j2))
    return tuple(aligned)


def check_comparable_settings(a: Settings, b: Settings) -> None:
    """Refuse, before any model loads, two sides that would run on different models or
    precisions, or be explained with different methods or granularities."""
    spec_a, spec_b = parse_model_spec(a.model), parse_model_spec(b.model)
    if (spec_a.kind, spec_a.preset) != (spec_b.kind, spec_b.preset):
        raise PromptSalienceError(
            f"A uses the model {a.model!r} and B uses {b.model!r}: a comparison needs one model.",
            "Set the same `model:` in both files, or pass --model to run both on one model.",
        )
    for what, left, right, in_files in (
        ("precision", a.precision, b.precision, False),
        ("method", a.method, b.method, True),
        ("granularity", a.granularity, b.granularity, True),
    ):
        if left != right:
            use_one = f"pass --{what} to use one for both"
            raise PromptSalienceError(
                f"A uses the {what} {left!r} and B uses {right!r}: their salience cannot be "
                "compared.",
                f"Set the same `{what}:` in both files, or {use_one}."
                if in_files
                else f"{use_one.capitalize()}.",
            )


Opcode = tuple[str, int, int, int, int]


def _opcodes(left: list[str], right: list[str]) -> list[Opcode]:
    """difflib's opcodes for `left` -> `right`, with the common head and tail taken out first.

    A few-shot prompt repeats its lines, and SequenceMatcher takes the longest matching block,
    the earliest on ties: one edit in a periodic prompt can then match the examples shifted by
    one period, and report a whole example added and another removed. An edit leaves the head
    and the tail as they were, so they are matched as they stand. Junk detection (`autojunk`)
    is off, since it would ignore exactly the repeated lines.
    """
    head = 0
    while head < min(len(left), len(right)) and left[head] == right[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(left), len(right)) - head
        and left[len(left) - 1 - tail] == right[len(right) - 1 - tail]
    ):
        tail += 1
    middle = difflib.SequenceMatcher(
        None, left[head : len(left) - tail], right[head : len(right) - tail], autojunk=False
    )
    codes: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    codes += [
        (tag, i1 + head, i2 + head, j1 + head, j2 + head)
        for tag, i1, i2, j1, j2 in middle.get_opcodes()
    ]
    if tail:
        codes.append(("equal", len(left) - tail, len(left), len(right) - tail, len(right)))
    return codes
