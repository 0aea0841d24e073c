"""`promptSalience.compare`: the case's current result against its baseline (the pinned result,
else the last one an edit removed). Both answers are scored under both prompts (forced, no
generation) and the prompt segments aligned, as `prompt-salience compare` does for two files.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lsprotocol.types import MessageType

from ..engine.case_run import CaseRun
from ..engine.comparison import compare_runs
from ..errors import PromptSalienceError
from ..report.colour_scale import DifferenceScale
from ..report.comparison_layout import describe_delta
from ..results import CharSpan, Comparison
from .baselines import Baseline
from .model_work import current, fail, loaded_explainer, on_worker
from .open_documents import OpenDocument
from .progress import WorkProgress
from .protocol import CaseParams, ComparedSegment, ComparisonReport
from .result_view import colour_scale_info

if TYPE_CHECKING:
    from .explanations import Explanation
    from .language_server import PromptSalienceServer

BEFORE, AFTER = "the baseline's prompt", "your edits"


async def compare_with_baseline(
    server: PromptSalienceServer, params: CaseParams
) -> ComparisonReport:
    """Compare, show the two changes in words (any client), and answer the whole report."""
    document = current(server, params)
    server.parse(document)  # drops what the latest edits made stale
    explanation = document.explanation(params.case)
    baseline = document.baseline(explanation.case) if explanation is not None else None
    if explanation is None or explanation.result is None or explanation.generation is None:
        raise fail(server, _problem("There is no result of this case to compare.", params))
    if baseline is None or baseline.generation is None or baseline.result is None:
        raise fail(
            server,
            PromptSalienceError(
                f"Case `{explanation.case}` has no baseline to compare with.",
                "Pin a result (the `Pin this result` lens), edit the prompt, and run again.",
            ),
        )
    before = CaseRun(explanation.case, baseline.generation, baseline.span, baseline.result)
    shift = len(explanation.result.prompt)
    span = CharSpan(explanation.result.span.start - shift, explanation.result.span.end - shift)
    after = CaseRun(explanation.case, explanation.generation, span, explanation.result)
    key = server.model_key(explanation.spec, explanation.settings.precision)
    max_length = explanation.settings.max_length

    def job(progress: WorkProgress, cancel: threading.Event) -> Comparison:
        explainer = loaded_explainer(server, key, max_length, progress, cancel)
        progress.report("Scoring each answer under the other prompt (no generation)", 30)
        return compare_runs(explainer, before, after, a_label=BEFORE, b_label=AFTER)

    title = f"Prompt salience: comparing {explanation.case}"
    comparison = await on_worker(server, explanation, title, params, job)
    report = _report(document, explanation, baseline, comparison, server.settings.intensity)
    server.show(" ".join(report.summary), MessageType.Info)
    return report


def _report(
    document: OpenDocument,
    explanation: Explanation,
    baseline: Baseline,
    comparison: Comparison,
    intensity: float,
) -> ComparisonReport:
    cross = comparison.cross
    which = "pinned answer" if baseline.pinned else "last answer"
    summary = [
        describe_delta(cross.delta_a, f"the {which}", BEFORE, AFTER),
        describe_delta(cross.delta_b, "the current answer", BEFORE, AFTER),
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
        pinned=baseline.pinned,
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
