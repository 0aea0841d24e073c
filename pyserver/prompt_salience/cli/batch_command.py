"""`prompt-salience batch FILE --data DATA --out RESULTS.jsonl`: run a template over a table of
cases (or a LIT `.jsonl` dataset over its own records), one results line per case, resumable,
with an aggregate of which template parts drive the answers."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from ..errors import PromptSalienceError
from ..settings import declared_settings
from .common import add_setting_flags, case_progress, load_explainer, runnable, validate
from .exit_codes import EXIT_USER_ERROR


def add_parser(sub: Any) -> None:
    batch = sub.add_parser(
        "batch", help="run a template over many cases (CSV/JSONL), resumable, with an aggregate"
    )
    batch.add_argument("file", help="a .prompt template, or a LIT .jsonl dataset (no --data)")
    batch.add_argument(
        "--data",
        type=Path,
        help="a .csv or .jsonl with one row per case (columns: variables, "
        "optional name, target, expect)",
    )
    batch.add_argument(
        "--out", type=Path, required=True, help="the results .jsonl (one line per case)"
    )
    batch.add_argument(
        "--resume", action="store_true", help="skip the cases already in --out, and continue it"
    )
    batch.add_argument("--aggregate", type=Path, metavar="AGG", help="write the aggregate JSON")
    batch.add_argument(
        "--report",
        type=Path,
        metavar="HTML",
        help="write a self-contained HTML report: the template by mean share, the failing cases",
    )
    batch.add_argument(
        "--batch-size",
        type=_positive,
        default=8,
        metavar="N",
        help="cases generated and explained together (default 8; 1: one at a time)",
    )
    batch.add_argument("--allow-warnings", action="store_true", help="run despite file warnings")
    add_setting_flags(batch)
    batch.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..engine.batch_run import plan_batch, run_planned

    flags = {s.name: getattr(args, s.name) for s in declared_settings() if s.cli_flag}
    plan = plan_batch(
        Path(args.file), args.data, flags, lambda d: runnable(d, args.allow_warnings, err)
    )
    validate(plan.settings)
    for bad in plan.bad_rows:
        err.print(f"[yellow]skipped[/] {bad.one_line()}", markup=True, highlight=False)

    from ..engine.results_file import ResultsWriter

    started = time.perf_counter()
    failures_run: list[tuple[str, PromptSalienceError]] = []
    with ResultsWriter(args.out, resume=args.resume) as writer:
        todo = [case for case in plan.cases if case.case_id not in writer.done]
        if args.resume and len(todo) < len(plan.cases):
            err.print(f"Resuming: {len(plan.cases) - len(todo)} case(s) already in {args.out}.")
        if todo:
            explainer = load_explainer(plan.settings, err)
            with case_progress(err, rate=True) as progress:
                task = progress.add_task("Cases", total=len(todo), rate="")
                begun = time.perf_counter()
                for count, (case, error) in enumerate(
                    run_planned(explainer, plan, todo, writer.write, batch_size=args.batch_size),
                    start=1,
                ):
                    if error is not None:
                        failures_run.append((case.case_id, error))
                        err.print(
                            f"error in case {case.case_id!r} (row {case.number}): {error.one_line()}"
                        )
                    rate = count / max(time.perf_counter() - begun, 1e-9)
                    progress.update(task, advance=1, rate=f"{rate:.2f} cases/s")
        records = list(writer.done.values())
    seconds = time.perf_counter() - started
    failed = [r["case_id"] for r in records if r.get("passed") is False]
    if args.aggregate is not None:
        from ..engine.batch_aggregate import aggregate

        args.aggregate.parent.mkdir(parents=True, exist_ok=True)
        args.aggregate.write_text(
            json.dumps(aggregate(records, plan.template), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    if args.report is not None:
        from ..engine.batch_aggregate import aggregate as aggregated
        from ..report.dataset_html import write_dataset_report

        write_dataset_report(
            args.report, plan.template, aggregated(records, plan.template), records
        )
    rate = len(todo) / seconds if seconds > 0 and todo else 0.0
    out.print(
        f"{len(records)} case(s) in {args.out}: {len(todo)} run now in {seconds:.1f} s "
        f"({rate:.2f} cases/s); {len(failed)} failing an expectation; "
        f"{len(plan.bad_rows)} bad row(s) skipped; {len(failures_run)} error(s)."
    )
    return EXIT_USER_ERROR if plan.bad_rows or failures_run else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value
