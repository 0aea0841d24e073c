"""`prompt-salience test FILE...`: check the expectations (`expect:`) of every case, the loop a
prompt engineer runs in CI. A pass/fail table, each failure explained (the offending span and
the segments that drove it), JUnit XML and JSON.

Exit codes tell a failing prompt from a broken input: 0 all pass, 1 a case fails, 2 bad input
(a file with problems, a bad flag or setting, no case with expectations, a model that does not
load, a case that cannot run). Bad input is found before the model loads wherever it can be.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..engine.case_run import PreparedPrompt, RunSettings
from ..errors import PromptSalienceError
from ..prompt.line_index import line_column
from ..prompt.parsed_prompt import PromptCase, PromptFile
from ..results import SalienceResult, ScoredSegment
from ..settings import declared_settings
from .common import (
    add_file_flags,
    add_setting_flags,
    case_progress,
    load_explainer,
    runnable,
    validate,
    write_text,
)

if TYPE_CHECKING:
    from ..engine.expectation_run import ExpectationRun
    from ..engine.explainer import Explainer
    from ..report.junit import JUnitSuite

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2  # not exit_codes.EXIT_USER_ERROR (1): CI must tell a broken file from a failure


def add_parser(sub: Any) -> None:
    test = sub.add_parser(
        "test",
        help="check the cases' expectations (`expect:`); exit 1 when one fails, 2 on bad input",
    )
    test.add_argument("files", nargs="+", help=".prompt templates or LIT .jsonl datasets")
    test.add_argument("--case", help="test only this case of each file")
    add_setting_flags(test)
    test.add_argument("--junit", type=Path, metavar="OUT", help="write the results as JUnit XML")
    test.add_argument("--json", type=Path, metavar="OUT", help="write the results as JSON")
    add_file_flags(test, "test", "segments listed for each failure")
    test.set_defaults(handler=handle)


@dataclass
class _FilePlan:
    """One file, checked and rendered: the cases to test and the names of those left out."""

    label: str  # the file as the user named it
    document: PromptFile
    settings: RunSettings
    cases: list[tuple[PromptCase, PreparedPrompt]]
    not_run: list[str]


@dataclass
class _Outcome:
    """A tested case: its run, or why it could not run."""

    plan: _FilePlan
    case: PromptCase
    seconds: float
    run: ExpectationRun | None = None
    error: PromptSalienceError | None = None

    @property
    def status(self) -> str:
        if self.run is None:
            return "error"
        return "passed" if self.run.passed else "failed"


def handle(args: argparse.Namespace, out: Console, err: Console) -> int:
    try:
        return _test(args, out, err)
    except PromptSalienceError as error:  # e.g. a report that cannot be written
        return _bad_input(err, error)


def _test(args: argparse.Namespace, out: Console, err: Console) -> int:
    for path in (args.junit, args.json):
        if path is not None and not path.parent.is_dir():  # found now, not after the runs
            raise PromptSalienceError(
                f"Cannot write {path}: the folder {path.parent} does not exist.",
                "Create the folder, or choose a path in an existing one.",
            )
    plans, bad = _plan_files(args, err)
    if bad:
        return EXIT_BAD_INPUT
    if not any(plan.cases for plan in plans):
        return _bad_input(
            err,
            PromptSalienceError(
                "No case has expectations: there is nothing to test.",
                "Add `expect:` to the front-matter (e.g. `- not_contains: You have to try it`), "
                "or to a case.",
            ),
        )
    explainers = _load_models(plans, err)
    outcomes = _run_cases(plans, explainers, err)
    top = max(args.top, 0)
    _print_table(outcomes, plans, out)
    for outcome in outcomes:
        if outcome.status == "failed":
            _print_failure(outcome, out, top)
    _write_outputs(outcomes, plans, args, err, top)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("passed", "failed", "error")}
    out.print(
        f"{len(outcomes)} case(s) tested: {counts['passed']} passing, {counts['failed']} "
        f"failing, {counts['error']} not run for an error."
    )
    if counts["error"]:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if counts["failed"] else 0


def _bad_input(err: Console, error: PromptSalienceError) -> int:
    err.print(f"[bold red]error:[/] {escape(error.one_line())}", markup=True)
    return EXIT_BAD_INPUT


def _plan_files(args: argparse.Namespace, err: Console) -> tuple[list[_FilePlan], bool]:
    """Every file read, checked, its settings merged and its tested cases rendered, before any
    model loads; every bad input is printed, not only the first."""
    plans: list[_FilePlan] = []
    bad = False
    for name in args.files:
        try:
            plan = _plan_file(name, args, err)
        except PromptSalienceError as error:
            _bad_input(err, error)
            bad = True
            continue
        if plan is None:
            bad = True
        else:
            plans.append(plan)
    return plans, bad


def _plan_file(name: str, args: argparse.Namespace, err: Console) -> _FilePlan | None:
    from ..engine.case_run import prepare_prompt, refuse_oversize
    from ..models.model_spec import parse_model_spec
    from ..prompt.documents import read_document

    # As for `run`: warnings (an unused variable) stop the test unless --allow-warnings.
    document = runnable(read_document(name), args.allow_warnings, err)
    flags = {s.name: getattr(args, s.name) for s in declared_settings() if s.cli_flag}
    settings = RunSettings().merged_with(document.settings, flags)
    validate(settings)
    spec = parse_model_spec(settings.model)
    chosen = [document.case(args.case)] if args.case else list(document.cases)
    cases = [
        (case, prepare_prompt(document, case.name, chat_setting=settings.chat_template, spec=spec))
        for case in chosen
        if case.expect
    ]
    for _, prepared in cases:  # before any model loads
        refuse_oversize(
            prepared, max_new_tokens=settings.max_new_tokens, max_length=settings.max_length
        )
    return _FilePlan(
        label=name,
        document=document,
        settings=settings,
        cases=cases,
        not_run=[case.name for case in chosen if not case.expect],
    )


def _model_key(settings: RunSettings) -> tuple[object, ...]:
    return (settings.model, settings.precision, settings.cache_dir, settings.max_length)


def _load_models(plans: list[_FilePlan], err: Console) -> dict[tuple[object, ...], Explainer]:
    """One load per model the files name (one in all, usually)."""
    explainers: dict[tuple[object, ...], Explainer] = {}
    for plan in plans:
        key = _model_key(plan.settings)
        if plan.cases and key not in explainers:
            explainers[key] = load_explainer(plan.settings, err)
    return explainers


def _run_cases(
    plans: list[_FilePlan], explainers: dict[tuple[object, ...], Explainer], err: Console
) -> list[_Outcome]:
    from ..engine.expectation_run import run_expectations

    work = [(plan, case, prepared) for plan in plans for case, prepared in plan.cases]
    outcomes: list[_Outcome] = []
    progress = case_progress(err)
    with progress:
        task = progress.add_task("Testing", total=len(work))
        for plan, case, prepared in work:
            progress.update(task, description=f"Testing {case.name}")
            began = time.perf_counter()
            try:
                run = run_expectations(
                    explainers[_model_key(plan.settings)], prepared, case.expect, plan.settings
                )
                outcomes.append(_Outcome(plan, case, time.perf_counter() - began, run=run))
            except PromptSalienceError as error:
                outcomes.append(_Outcome(plan, case, time.perf_counter() - began, error=error))
            progress.advance(task)
    return outcomes


# -- what the user reads ---------------------------------------------------------------------

_STATUS_STYLE = {
    "passed": ("PASS", "bold green"),
    "failed": ("FAIL", "bold red"),
    "error": ("ERROR", "bold magenta"),
}


def _reason(outcome: _Outcome) -> str:
    if outcome.run is not None:
        return outcome.run.verdict.reason
    assert outcome.error is not None
    return outcome.error.one_line()


def _print_table(outcomes: list[_Outcome], plans: list[_FilePlan], out: Console) -> None:
    """One pass/fail table per file (its name whole, as a title), then the cases not run."""
    for plan in plans:
        rows = [outcome for outcome in outcomes if outcome.plan is plan]
        if rows:
            table = Table(title=escape(plan.label), title_justify="left", title_style="bold")
            table.add_column("Case")
            table.add_column("Result")
            table.add_column("Reason")
            for outcome in rows:
                label, style = _STATUS_STYLE[outcome.status]
                table.add_row(
                    Text(outcome.case.name), Text(label, style=style), Text(_reason(outcome))
                )
            out.print(table)
        if plan.not_run:
            names = ", ".join(plan.not_run)
            count = len(plan.not_run)
            out.print(Text(f"{plan.label}: {count} case(s) without `expect:`, not run: {names}"))


def _expectation_lines(outcome: _Outcome) -> Iterator[str]:
    """Each failed expectation with its line in the file and the reason."""
    assert outcome.run is not None
    for failed in outcome.run.verdict.failures:
        line, _ = line_column(outcome.plan.document.text, failed.expectation.start)
        yield f"{failed.expectation.describe()} (line {line}): {failed.reason}"


def _segment_place(outcome: _Outcome) -> Callable[[ScoredSegment], str]:
    """Where a segment of the explanation is: its line in the file, or `response`."""
    assert outcome.run is not None
    generation = outcome.run.generation
    text = outcome.plan.document.text

    def place(segment: ScoredSegment) -> str:
        if segment.start >= len(generation.prompt):
            return "response"
        mapped = generation.source_map
        ranges = mapped.file_ranges(segment.start, segment.end) if mapped is not None else []
        return f"line {line_column(text, ranges[0][0])[0]}" if ranges else "added"

    return place


def _print_failure(outcome: _Outcome, out: Console, top: int) -> None:
    run = outcome.run
    assert run is not None
    out.print()
    out.print(Text(f"FAIL {outcome.plan.label} - case {outcome.case.name}", style="bold red"))
    for line in _expectation_lines(outcome):
        out.print(Text(f"  {line}"))
    out.print(Text("Response:", style="bold"))
    out.print(_marked_response(run), soft_wrap=True)
    if run.explanation is None:
        out.print(Text("The response is empty: there is nothing to explain."))
        return
    from ..report.layout import span_footer

    out.print(Text(span_footer(run.explanation), style="italic"), soft_wrap=True)
    if top > 0:
        _print_top_segments(run.explanation, _segment_place(outcome), out, top)


def _print_top_segments(
    result: SalienceResult, place: Callable[[ScoredSegment], str], out: Console, top: int
) -> None:
    """The segments that drove the offending span, each with its line in the file."""
    from ..report.layout import format_score, ranked_segments, shorten

    ranked = ranked_segments(result)[:top]
    if not ranked:
        out.print(Text("No segment has a non-zero score."))
        return
    table = Table(
        title=f"What drove it: the {len(ranked)} most salient segments ({result.method})",
        title_justify="left",
    )
    for heading in ("Rank", "Score", "Share"):
        table.add_column(heading, justify="right")
    table.add_column("Where")
    table.add_column("Segment")
    for item in ranked:
        table.add_row(
            str(item.rank),
            format_score(item.segment.score, result.signed),
            f"{item.share:.1%}",
            place(item.segment),
            Text(shorten(item.segment.text, 60)),
        )
    out.print(table)


def _marked_response(run: ExpectationRun) -> Text:
    """The response with its offending span between `>>` and `<<` (and in bold)."""
    response = run.generation.response
    span = run.verdict.offending_span
    if span is None:
        return Text(response)
    return Text.assemble(
        response[: span.start],
        (">>" + response[span.start : span.end] + "<<", "bold underline"),
        response[span.end :],
    )


# -- files -----------------------------------------------------------------------------------


def _write_outputs(
    outcomes: list[_Outcome],
    plans: list[_FilePlan],
    args: argparse.Namespace,
    err: Console,
    top: int,
) -> None:
    if args.junit is not None:
        from ..report.junit import junit_xml

        write_text(args.junit, junit_xml(_junit_suites(outcomes, plans, top)))
        err.print(f"Wrote {args.junit}")
    if args.json is not None:
        payload = _json(outcomes, plans)
        write_text(args.json, json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False))
        err.print(f"Wrote {args.json}")


def _junit_suites(outcomes: list[_Outcome], plans: list[_FilePlan], top: int) -> list[JUnitSuite]:
    from ..report.junit import JUnitCase, JUnitSuite, explanation_text

    suites = []
    for plan in plans:
        cases = []
        for outcome in (o for o in outcomes if o.plan is plan):
            run = outcome.run
            if run is None:
                cases.append(JUnitCase(outcome.case.name, outcome.seconds, error=_reason(outcome)))
                continue
            details = [*_expectation_lines(outcome)] if not run.passed else []
            if run.explanation is not None:
                details.append(explanation_text(run.explanation, top, _segment_place(outcome)))
            cases.append(
                JUnitCase(
                    outcome.case.name,
                    outcome.seconds,
                    failure=None if run.passed else run.verdict.reason,
                    details="\n".join(details),
                    output=run.generation.response,
                )
            )
        cases += [JUnitCase(name, skipped="no expectations (`expect:`)") for name in plan.not_run]
        suites.append(JUnitSuite(plan.label, cases))
    return suites


def _json(outcomes: list[_Outcome], plans: list[_FilePlan]) -> dict[str, object]:
    files = [
        {
            "file": plan.label,
            "cases": [_case_json(o) for o in outcomes if o.plan is plan],
            "not_run": plan.not_run,
        }
        for plan in plans
    ]
    summary = {
        "passed": sum(o.status == "passed" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
        "errors": sum(o.status == "error" for o in outcomes),
        "not_run": sum(len(plan.not_run) for plan in plans),
    }
    return {"summary": summary, "files": files}


def _case_json(outcome: _Outcome) -> dict[str, object]:
    from ..report import result_to_json

    text = outcome.plan.document.text
    data: dict[str, object] = {
        "case": outcome.case.name,
        "line": outcome.case.line + 1,
        "status": outcome.status,
        "passed": outcome.status == "passed",
        "seconds": round(outcome.seconds, 3),
        "error": None if outcome.error is None else outcome.error.one_line(),
    }
    run = outcome.run
    if run is None:
        return data
    response = run.generation.response

    def span(found: Any) -> dict[str, object] | None:
        if found is None:
            return None
        return {"start": found.start, "end": found.end, "text": response[found.start : found.end]}

    data["response"] = response
    data["response_is_generated"] = run.generation.generated
    data["expectations"] = [
        {
            "kind": item.expectation.kind,
            "text": item.expectation.written.value,
            "line": line_column(text, item.expectation.start)[0],
            "passed": item.passed,
            "reason": item.reason,
            "found": span(item.found),
        }
        for item in run.verdict.outcomes
    ]
    data["offending_span"] = span(run.verdict.offending_span)
    explanation = None
    if run.explanation is not None:
        source_map = run.generation.source_map
        explanation = result_to_json(
            run.explanation,
            source_map=source_map.to_json() if source_map is not None else None,
            extra={"case": outcome.case.name, "file": outcome.plan.label},
        )
    data["explanation"] = explanation
    return data
