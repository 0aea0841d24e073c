"""`prompt-salience`: run and explain prompt files headless, over datasets, into JSON and HTML."""

from __future__ import annotations

import argparse
import json
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .cache_dir import cache_root
from .engine.case_run import CaseRun, RunSettings
from .errors import PromptSalienceError
from .models.model_spec import parse_model_spec
from .settings import Setting, declared_settings

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130


class _OneLineParser(argparse.ArgumentParser):
    """Usage mistakes as one line with the fix, like every other error."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"error: {message}. Fix: see `{self.prog} --help`.\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="prompt-salience",
        description="Which parts of a prompt made Gemma write what it wrote (sequence salience).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="generate and explain a .prompt file or a .jsonl dataset")
    run.add_argument("file", help="a .prompt template or a LIT .jsonl dataset")
    run.add_argument("--case", help="run only this case (default: every case)")
    _add_setting_flags(run)
    run.add_argument(
        "--span",
        type=_span_argument,
        metavar="START:END",
        help="explain the response characters [START, END) (wins over --explain)",
    )
    run.add_argument("--json", type=Path, metavar="OUT", help="write the results as JSON")
    run.add_argument("--html", type=Path, metavar="OUT", help="write a self-contained HTML report")
    run.add_argument("--top", type=int, default=5, help="most salient segments listed")
    run.add_argument(
        "--allow-warnings",
        action="store_true",
        help="run even when the file has warnings (e.g. an unused variable)",
    )

    prepare = sub.add_parser("prepare", help="convert the embedded model into the cache (once)")
    _add_setting_flags(prepare, only=("cache_dir",))

    check = sub.add_parser("check", help="report problems in prompt files (no model needed)")
    check.add_argument("files", nargs="+")

    sub.add_parser("serve", help="run the language server on stdin/stdout (LSP)")
    return parser


def _add_setting_flags(parser: argparse.ArgumentParser, only: Sequence[str] = ()) -> None:
    """A flag for each declared setting that has one (all, or those named in `only`).

    Flags left out are None: the prompt file's front-matter, then the declared default, apply.
    """
    for setting in declared_settings():
        if setting.cli_flag is None or (only and setting.name not in only):
            continue
        listed = setting.choices if setting.check is None else ()
        parser.add_argument(
            setting.cli_flag,
            dest=setting.name,
            type=setting.value_type if setting.value_type in (int, float) else str,
            choices=listed or None,
            metavar=None if listed else setting.cli_flag.lstrip("-").upper().replace("-", "_"),
            help=_flag_help(setting),
        )


def _flag_help(setting: Setting) -> str:
    text = setting.description.replace("`", "")
    if setting.choices and setting.check is not None:
        text += f" One of: {', '.join(setting.choices)}."
    default = "" if setting.default in (None, "") else str(setting.default)
    if setting.front_matter:
        default = f"the file's {setting.name}" + (f", else {default}" if default else "")
    if default:
        text += f" (default: {default})"
    return text.replace("%", "%%")  # argparse formats help with %


def _span_argument(text: str) -> tuple[int, int]:
    start, sep, end = text.partition(":")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not START:END (e.g. 12:40)")
    return int(start), int(end)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from .server import main as serve

        return serve()
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if args.command == "run":
            return _run(args, out, err)
        if args.command == "prepare":
            return _prepare(args, err)
        if args.command == "check":
            return _check(args.files, out, err)
    except PromptSalienceError as error:
        err.print(f"[bold red]error:[/] {error.one_line()}", markup=True, highlight=False)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_INTERRUPTED
    return 0


def _report_status(err: Console) -> Any:
    return err.status("Starting", spinner="dots")


def _prepare(args: argparse.Namespace, err: Console) -> int:
    from .models.embedded import ensure_embedded_preset

    with _report_status(err) as status:
        path = ensure_embedded_preset(cache_root(args.cache_dir), lambda m: status.update(m))
    err.print(f"Embedded model ready: {path}")
    return 0


def _check(files: Sequence[str], out: Console, err: Console) -> int:
    from .prompt.documents import read_document
    from .prompt.line_index import line_column

    bad = 0
    for name in files:
        try:
            document = read_document(name)
        except PromptSalienceError as error:
            err.print(f"error: {error.one_line()}")
            bad += 1
            continue
        for problem in document.problems:
            line, column = line_column(document.text, problem.start)
            out.print(
                f"{name}:{line}:{column}: {problem.severity}: {problem.problem} Fix: {problem.fix}"
            )
        bad += len(document.problems)
    return EXIT_USER_ERROR if bad else 0


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .prompt.documents import read_document

    document = read_document(args.file)
    # Warnings (an unused variable) usually mean the template is not what its author thinks,
    # so a run stops on them too unless --allow-warnings says to go on.
    blocking = document.errors or (() if args.allow_warnings else document.problems)
    if blocking:
        for problem in blocking[1:]:
            err.print(f"{problem.severity}: {document.error(problem).one_line()}")
        raise document.error(blocking[0])
    for problem in document.problems:
        err.print(f"warning: {document.error(problem).one_line()}")
    flags = {s.name: getattr(args, s.name) for s in declared_settings() if s.cli_flag}
    settings = RunSettings().merged_with(document.settings, {**flags, "span": args.span})
    _validate(settings)
    spec = parse_model_spec(settings.model)
    cases = [document.case(args.case)] if args.case else list(document.cases)

    from .engine.case_run import prepare_prompt, run_case
    from .engine.explainer import Explainer
    from .models.loader import load_model

    # Render every case before loading the model: a template error should not cost a load.
    prepared = [
        prepare_prompt(document, case.name, chat_setting=settings.chat_template, spec=spec)
        for case in cases
    ]
    with _report_status(err) as status:
        model = load_model(
            spec,
            precision=settings.precision,
            cache=cache_root(settings.cache_dir),
            report=lambda message: status.update(message),
        )
    explainer = Explainer(model, max_length=settings.max_length)

    runs: list[CaseRun] = []
    failures: list[tuple[str, PromptSalienceError]] = []
    many = len(prepared) > 1
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not many,
    )
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


def _validate(settings: RunSettings) -> None:
    """Every setting, as its declaration checks it (problems name the flag)."""
    for setting in declared_settings():
        value = getattr(settings, setting.name)
        if value is not None:
            setting.checked(value, name=setting.cli_flag or setting.name)


def _print_runs(
    runs: list[CaseRun], label: str, out: Console, args: argparse.Namespace, intensity: float
) -> None:
    from .report import print_top_segments, render_heatmap

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
    from .report import ReportItem, result_to_json, write_html_report

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
        _write_text(args.json, json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False))
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
            raise _write_error(args.html, error) from error
        err.print(f"Wrote {args.html}")


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise _write_error(path, error) from error


def _write_error(path: Path, error: OSError) -> PromptSalienceError:
    return PromptSalienceError(
        f"Could not write {path}: {error.strerror or error}.",
        "Choose a path in an existing, writable folder.",
    )


if __name__ == "__main__":
    sys.exit(main())
