"""`prompt-salience run FILE`: generate and explain every case (or one), print heatmaps, write
JSON and HTML reports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from ..engine.case_run import CaseRun, RunSettings
from ..errors import PromptSalienceError
from ..models.model_spec import parse_model_spec
from ..settings import declared_settings
from .common import (
    add_file_flags,
    add_setting_flags,
    case_progress,
    load_explainer,
    runnable,
    span_argument,
    validate,
    write_error,
    write_text,
)
from .exit_codes import EXIT_USER_ERROR


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="generate and explain a .prompt file or a .jsonl dataset")
    run.add_argument("file", help="a .prompt template or a LIT .jsonl dataset")
    run.add_argument("--case", help="run only this case (default: every case)")
    add_setting_flags(run)
    run.add_argument(
        "--span",
        type=span_argument,
        metavar="START:END",
        help="explain the response characters [START, END) (wins over --explain)",
    )
    run.add_argument("--json", type=Path, metavar="OUT", help="write the results as JSON")
    run.add_argument("--html", type=Path, metavar="OUT", help="write a self-contained HTML report")
    add_file_flags(run, "run", "most salient segments listed")

    run.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..prompt.documents import read_document

    document = runnable(read_document(args.file), args.allow_warnings, err)
    flags = {s.name: getattr(args, s.name) for s in declared_settings() if s.cli_flag}
    settings = RunSettings().merged_with(document.settings, {**flags, "span": args.span})
    validate(settings)
    spec = parse_model_spec(settings.model)
    cases = [document.case(args.case)] if args.case else list(document.cases)

    from ..engine.case_run import prepare_prompt, refuse_oversize, run_case

    # Render every case before loading the model: a template error should not cost a load.
    prepared = [
        prepare_prompt(document, case.name, chat_setting=settings.chat_template, spec=spec)
        for case in cases
    ]
    for item in prepared:  # refuse a huge input before the model loads
        refuse_oversize(
            item, max_new_tokens=settings.max_new_tokens, max_length=settings.max_length
        )
    explainer = load_explainer(settings, err)

    runs: list[CaseRun] = []
    failures: list[tuple[str, PromptSalienceError]] = []
    many = len(prepared) > 1
    progress = case_progress(err, disable=not many)
    with progress:
        task = progress.add_task("Running cases", total=len(prepared))
        for item in prepared:
            progress.update(task, description=f"Running {item.case_name}")
            try:
                runs.append(run_case(explainer, item, settings))
            except PromptSalienceError as error:
                if not many:
                    raise  # one case: main() prints the one line
                failures.append((item.case_name, error))
                err.print(f"error in case {item.case_name!r}: {error.one_line()}")
            progress.advance(task)

    _print_runs(runs, document.path or args.file, out, args, settings.intensity)
    _write_outputs(runs, document, args, err, settings.intensity)
    if failures:
        err.print(f"{len(failures)} of {len(prepared)} case(s) failed.")
        return EXIT_USER_ERROR
    return 0


def _print_runs(
    runs: list[CaseRun], label: str, out: Console, args: argparse.Namespace, intensity: float
) -> None:
    from ..report import print_top_segments, render_heatmap

    for run in runs:
        render_heatmap(
            run.result, out, intensity=intensity, title=f"{label} - case {run.case_name}"
        )
        if args.top > 0:
            print_top_segments(run.result, out, n=args.top, intensity=intensity)
        out.print()


def _write_outputs(
    runs: list[CaseRun], document: Any, args: argparse.Namespace, err: Console, intensity: float
) -> None:
    from ..report import ReportItem, result_to_json, write_html_report

    if args.json is not None:
        items = [
            result_to_json(
                run.result,
                source_map=run.generation.source_map.to_json()
                if run.generation.source_map
                else None,
                extra={"case": run.case_name, "file": str(args.file)},
            )
            for run in runs
        ]
        payload: object = items[0] if len(items) == 1 else {"items": items}
        write_text(args.json, json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False))
        err.print(f"Wrote {args.json}")
    if args.html is not None:
        report_items = [
            ReportItem(run.result, heading=f"Case {run.case_name}", source_label=str(args.file))
            for run in runs
        ]
        title = document.settings.description or f"Prompt salience: {Path(args.file).name}"
        try:
            write_html_report(report_items, args.html, title=title, intensity=intensity)
        except OSError as error:
            raise write_error(args.html, error) from error
        err.print(f"Wrote {args.html}")
