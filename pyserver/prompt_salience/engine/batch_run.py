"""A batch run's plan (which cases, rendered and checked before any model work) and its loop.

The cases are a data table's rows over a template (`prompt/case_table.py`), or the cases a file
holds itself (a LIT `.jsonl` dataset's records, a template's `cases:`). Each case is run as
`prompt-salience run` would run it alone, then written as one results line
(`batch_records.case_record`) before the next starts.
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
from .batch_records import case_record
from .case_run import PreparedPrompt, RunSettings, prepare_prompt, refuse_oversize, run_case
from .expectations import check_response

if TYPE_CHECKING:
    from .explainer import Explainer


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
) -> Iterator[tuple[PlannedCase, PromptSalienceError | None]]:
    """Run each case, write its line, and yield it with the error that stopped it (or None)."""
    for case in todo:
        fallbacks, remember = _collector()
        try:
            # A response the `explain` pattern misses is explained whole, and the line says why:
            # one odd answer must not cost the case.
            run = run_case(
                explainer,
                case.prepared,
                plan.settings,
                on_span_fallback=remember,
            )
        except PromptSalienceError as error:
            yield case, error
            continue
        passed = (
            check_response(run.generation.response, case.case.expect, plan.settings.explain).passed
            if case.case.expect
            else None
        )
        record = case_record(
            case.case_id, case.variables, run.result, run.span, case.prepared.source_map, passed
        )
        if fallbacks:
            record["note"] = fallbacks[0]
        write(record)
        yield case, None


def _collector() -> tuple[list[str], Callable[[PromptSalienceError], None]]:
    """A list, and a callback that adds an error's one line to it."""
    lines: list[str] = []
    return lines, lambda error: lines.append(error.one_line())
