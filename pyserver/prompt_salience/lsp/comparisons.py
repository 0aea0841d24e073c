"""`promptSalience.compare`: the case's current result against its baseline (the pinned result,
else the last one an edit removed), or against another open document's (or case's) result. Both answers are scored under both prompts (forced, no
generation) and the prompt segments aligned, as `prompt-salience compare` does for two files.
"""

from __future__ import annotations

import threading
from pathlib import PurePath
from typing import TYPE_CHECKING

from lsprotocol.types import MessageType

from ..engine.case_run import CaseRun
from ..engine.comparison import compare_runs
from ..errors import PromptSalienceError
from ..report.colour_scale import DifferenceScale
from ..report.comparison_layout import describe_delta
from ..results import CharSpan, Comparison
from .model_work import current, fail, loaded_explainer, on_worker
from .open_documents import OpenDocument
from .progress import WorkProgress
from .protocol import CaseParams, ComparedSegment, CompareParams, ComparisonReport
from .result_view import colour_scale_info

if TYPE_CHECKING:
    from .explanations import Explanation
    from .language_server import PromptSalienceServer


async def compare_with_baseline(
    server: PromptSalienceServer, params: CompareParams
) -> ComparisonReport:
    """Compare, show the two changes in words (any client), and answer the whole report."""
    document = current(server, params)
    server.parse(document)  # drops what the latest edits made stale
    explanation = document.explanation(params.case)
    if explanation is None or explanation.result is None or explanation.generation is None:
        raise fail(server, _problem("There is no result of this case to compare.", params))
    if params.other_uri is not None or params.other_case is not None:
        before, other = _other(server, params, explanation.case)
        pinned, against = False, f"the answer of {other}"
        labels = ("its own prompt", "this prompt")
    else:
        baseline = document.baseline(explanation.case)
        if baseline is None or baseline.generation is None or baseline.result is None:
            raise fail(
                server,
                PromptSalienceError(
                    f"Case `{explanation.case}` has no baseline to compare with.",
                    "Pin a result (the `Pin this result` lens), edit the prompt, and run again.",
                ),
            )
        before = CaseRun(explanation.case, baseline.generation, baseline.span, baseline.result)
        pinned = baseline.pinned
        against = "the pinned answer" if pinned else "the last answer"
        labels = ("the baseline's prompt", "your edits")
    after = _case_run(explanation)
    key = server.model_key(explanation.spec, explanation.settings.precision)
    max_length = explanation.settings.max_length

    def job(progress: WorkProgress, cancel: threading.Event) -> Comparison:
        explainer = loaded_explainer(server, key, max_length, progress, cancel)
        progress.report("Scoring each answer under the other prompt (no generation)", 30)
        return compare_runs(explainer, before, after, a_label=against, b_label=labels[1])

    title = f"Prompt salience: comparing {explanation.case}"
    comparison = await on_worker(server, explanation, title, params, job)
    document.comparisons[explanation.case] = comparison
    report = _report(
        document, explanation, comparison, pinned, against, labels, server.settings.intensity
    )
    server.show(" ".join(report.summary), MessageType.Info)
    return report


def _case_run(explanation: Explanation) -> CaseRun:
    """An explanation's current result as the engine's CaseRun."""
    result, generation = explanation.result, explanation.generation
    assert result is not None
    assert generation is not None
    shift = len(result.prompt)
    span = CharSpan(result.span.start - shift, result.span.end - shift)
    return CaseRun(explanation.case, generation, span, result)


def _other(server: PromptSalienceServer, params: CompareParams, case: str) -> tuple[CaseRun, str]:
    """The other side: an open document's case with a result (this document, by default)."""
    uri = params.other_uri or params.uri
    document = server.open_document(uri)
    server.parse(document)
    name = params.other_case or case
    other = document.explanation(name)
    label = f"case `{name}` of {PurePath(document.name_for_parser).name}"
    if other is None or other.result is None or other.generation is None:
        raise fail(
            server,
            PromptSalienceError(
                f"There is no result of {label} to compare with.",
                "Open it and run that case first (its `Run and explain` CodeLens).",
            ),
        )
    return _case_run(other), label


def _report(
    document: OpenDocument,
    explanation: Explanation,
    comparison: Comparison,
    pinned: bool,
    against: str,
    labels: tuple[str, str],
    intensity: float,
) -> ComparisonReport:
    cross = comparison.cross
    before, after = labels
    summary = [
        describe_delta(cross.delta_a, against, before, after),
        describe_delta(cross.delta_b, "the current answer", before, after),
    ]
    result = explanation.result
    assert result is not None
    index = {(s.start, s.end): i for i, s in enumerate(result.segments)}
    changes = [abs(p.share_change) for p in comparison.segments if p.share_change is not None]
    scale = DifferenceScale(max(changes, default=0.0), intensity)
    segments = []
    for pair in comparison.segments:
        ranges = []
        if pair.b is not None:
            where = explanation.file_ranges(index[(pair.b.start, pair.b.end)])
            ranges = [document.index.range_of(a, b) for a, b in where]
        segments.append(
            ComparedSegment(
                status=pair.status,
                before_text=pair.a.text if pair.a is not None else None,
                after_text=pair.b.text if pair.b is not None else None,
                before_score=pair.a.score if pair.a is not None else None,
                after_score=pair.b.score if pair.b is not None else None,
                share_change=pair.share_change,
                bucket=scale.bucket(pair.share_change) if pair.share_change is not None else 0,
                ranges=ranges,
            )
        )
    return ComparisonReport(
        uri=document.uri,
        version=document.version,
        case=explanation.case,
        pinned=pinned,
        against=against,
        before_response=comparison.a.response,
        after_response=comparison.b.response,
        before_answer_before=cross.a_under_a,
        before_answer_now=cross.a_under_b,
        after_answer_before=cross.b_under_a,
        after_answer_now=cross.b_under_b,
        summary=summary,
        segments=segments,
        scale=colour_scale_info(scale),
    )


def _problem(problem: str, params: CaseParams) -> PromptSalienceError:
    which = f" (case `{params.case}`)" if params.case else ""
    return PromptSalienceError(problem + which, "Run it first (the `Run and explain` CodeLens).")
