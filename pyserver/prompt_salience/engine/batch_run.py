"""A batch run's plan (which cases, rendered and checked before any model work) and its loop.

The cases are a data table's rows over a template (`prompt/case_table.py`), or the cases a file
holds itself (a LIT `.jsonl` dataset's records, a template's `cases:`). Cases run in batches: one
batched generation (each response the one the case gets alone), one batched backward pass for
the gradient methods, then each case's results line (`batch_records.case_record`), written
before the next batch starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PromptSalienceError
from ..models.model_spec import parse_model_spec
from ..prompt.case_table import BadRow, read_case_table, render_row
from ..prompt.documents import read_document
from ..prompt.parsed_prompt import PromptCase, PromptFile
from ..results import CharSpan
from .batch_records import case_record
from .case_run import (
    PreparedPrompt,
    RunSettings,
    method_options,
    prepare_prompt,
    refuse_oversize,
    respond,
    response_span,
)
from .expectations import check_response

if TYPE_CHECKING:
    from .explainer import Explainer, Generation


@dataclass(frozen=True)
class PlannedCase:
    case_id: str
    number: int  # the data row (or the case's place in the file), from 1
    variables: Mapping[str, str]
    case: PromptCase
    prepared: PreparedPrompt


@dataclass(frozen=True)
class BatchPlan:
    template: PromptFile
    settings: RunSettings
    cases: list[PlannedCase]
    bad_rows: list[BadRow]


def plan_batch(
    file: Path,
    data: Path | None,
    flags: Mapping[str, Any],
    check_file: Callable[[PromptFile], PromptFile],
) -> BatchPlan:
    """Every case rendered and checked against the size limit; the rows that cannot run."""
    template = check_file(read_document(file))
    settings = RunSettings().merged_with(template.settings, flags)
    spec = parse_model_spec(settings.model)
    documents: list[tuple[int, str, PromptFile, PromptCase]] = []
    bad: list[BadRow] = []
    if data is not None:
        if template.raw or any(c.prompt is not None for c in template.cases):
            raise PromptSalienceError(
                f"{file} has no template to fill: --data needs a `.prompt` file with placeholders.",
                "Give a template, or run the dataset without --data.",
            )
        rows, bad = read_case_table(data)
        for row in rows:
            rendered = render_row(template, row)
            if isinstance(rendered, BadRow):
                bad.append(rendered)
            else:
                documents.append((row.number, row.case_id, *rendered))
    else:
        documents = [(i, c.name, template, c) for i, c in enumerate(template.cases, start=1)]
    cases = []
    for number, case_id, document, case in documents:
        prepared = prepare_prompt(
            document, case.name, chat_setting=settings.chat_template, spec=spec
        )
        try:
            refuse_oversize(
                prepared, max_new_tokens=settings.max_new_tokens, max_length=settings.max_length
            )
        except PromptSalienceError as error:
            bad.append(BadRow(number, error.problem, error.fix))
            continue
        variables = {name: value.value for name, value in case.variables.items()}
        cases.append(PlannedCase(case_id, number, variables, case, prepared))
    bad.sort(key=lambda b: b.number)
    return BatchPlan(template, settings, cases, bad)


def run_planned(
    explainer: Explainer,
    plan: BatchPlan,
    todo: list[PlannedCase],
    write: Callable[[dict[str, Any]], None],
    *,
    batch_size: int = 1,
) -> Iterator[tuple[PlannedCase, PromptSalienceError | None]]:
    """Run the cases `batch_size` at a time (generation and the gradient methods' backward
    pass batched), write each case's line, and yield it with what stopped it (or None)."""
    for start in range(0, len(todo), batch_size):
        yield from _run_batch(explainer, plan, todo[start : start + batch_size], write, batch_size)


def _run_batch(
    explainer: Explainer,
    plan: BatchPlan,
    cases: list[PlannedCase],
    write: Callable[[dict[str, Any]], None],
    rows: int,
) -> Iterator[tuple[PlannedCase, PromptSalienceError | None]]:
    settings = plan.settings
    generations: dict[int, Generation] = {}
    failed: dict[int, PromptSalienceError] = {}
    to_generate = [i for i, c in enumerate(cases) if c.prepared.target is None]
    for i, case in enumerate(cases):
        if case.prepared.target is not None:
            try:
                generations[i] = respond(explainer, case.prepared, settings)
            except PromptSalienceError as error:
                failed[i] = error
    if to_generate:
        try:
            made = explainer.generate_batch(
                [(cases[i].prepared.text, cases[i].prepared.source_map) for i in to_generate],
                settings.max_new_tokens,
                rows=rows,
            )
            generations.update(zip(to_generate, made, strict=True))
        except PromptSalienceError:  # say which case: generate them one by one
            for i in to_generate:
                try:
                    generations[i] = respond(explainer, cases[i].prepared, settings)
                except PromptSalienceError as error:
                    failed[i] = error
    spans: dict[int, CharSpan] = {}
    notes: dict[int, list[str]] = {}
    for i, generation in generations.items():
        notes[i], remember = _collector()
        try:
            spans[i] = response_span(generation.response, settings, remember)
            generation.span_tokens(spans[i])  # a span over no token fails here, alone
        except PromptSalienceError as error:
            failed[i] = error
    ready = [i for i in range(len(cases)) if i in spans and i not in failed]
    results = explainer.explain_batch(
        [(generations[i], spans[i]) for i in ready],
        method=settings.method,
        granularity=settings.granularity,
        method_options=method_options(settings),
        rows=rows,
    )
    explained = dict(zip(ready, results, strict=True))
    for i, case in enumerate(cases):
        if i in failed:
            yield case, failed[i]
            continue
        response = generations[i].response
        passed = (
            check_response(response, case.case.expect, settings.explain).passed
            if case.case.expect
            else None
        )
        record = case_record(
            case.case_id, case.variables, explained[i], spans[i], case.prepared.source_map, passed
        )
        if notes[i]:
            record["note"] = notes[i][0]
        write(record)
        yield case, None


def _collector() -> tuple[list[str], Callable[[PromptSalienceError], None]]:
    """A list, and a callback that adds an error's one line to it."""
    lines: list[str] = []
    return lines, lambda error: lines.append(error.one_line())
