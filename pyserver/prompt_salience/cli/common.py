"""What the subcommands share: exit codes, flags from the settings declaration, model loading
with a status line, and writing files with a user's error on failure."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..cache_dir import cache_root
from ..errors import PromptSalienceError
from ..settings import Setting, declared_settings

if TYPE_CHECKING:
    from ..engine.case_run import RunSettings
    from ..engine.explainer import Explainer
    from ..prompt.parsed_prompt import PromptFile


def add_setting_flags(parser: argparse.ArgumentParser, only: Sequence[str] = ()) -> None:
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


def span_argument(text: str) -> tuple[int, int]:
    start, sep, end = text.partition(":")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not START:END (e.g. 12:40)")
    return int(start), int(end)


def add_file_flags(parser: argparse.ArgumentParser, verb: str, top_help: str) -> None:
    """`--top N` and `--allow-warnings`, which every command that runs prompt files takes (the
    rule they feed is `runnable`)."""
    parser.add_argument("--top", type=int, default=5, help=top_help)
    parser.add_argument(
        "--allow-warnings",
        action="store_true",
        help=f"{verb} even when a file has warnings (e.g. an unused variable)",
    )


def runnable(document: PromptFile, allow_warnings: bool, err: Console) -> PromptFile:
    """`document`, unless it has errors, or warnings without --allow-warnings: a warning (an
    unused variable) usually means the template is not what its author thinks. The first
    blocking problem is raised and the other blocking ones printed; else the warnings are."""
    blocking = document.errors or (() if allow_warnings else document.problems)
    for problem in blocking[1:] if blocking else document.problems:
        err.print(f"{problem.severity}: {escape(document.error(problem).one_line())}")
    if blocking:
        raise document.error(blocking[0])
    return document


def case_progress(err: Console, *, disable: bool = False, rate: bool = False) -> Progress:
    """The progress bar of commands that go through many cases (on stderr, gone when done).
    With `rate`, the task's `rate` field and the time remaining are shown too."""
    extra = (TextColumn("{task.fields[rate]}"),) if rate else ()
    remaining = (TimeRemainingColumn(),) if rate else ()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        *remaining,
        console=err,
        transient=True,
        disable=disable,
    )


def report_status(err: Console) -> Any:
    return err.status("Starting", spinner="dots")


def validate(settings: RunSettings) -> None:
    """Every setting, as its declaration checks it (problems name the flag)."""
    for setting in declared_settings():
        value = getattr(settings, setting.name)
        if value is not None:
            setting.checked(value, name=setting.cli_flag or setting.name)


def load_explainer(settings: RunSettings, err: Console) -> Explainer:
    """The configured model, loaded with a status line, ready to generate and explain."""
    from ..engine.explainer import Explainer
    from ..models.loader import load_model
    from ..models.model_spec import parse_model_spec

    with report_status(err) as status:
        model = load_model(
            parse_model_spec(settings.model),
            precision=settings.precision,
            cache=cache_root(settings.cache_dir),
            report=lambda message: status.update(message),
        )
    return Explainer(model, max_length=settings.max_length)


def write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise write_error(path, error) from error


def write_error(path: Path, error: OSError) -> PromptSalienceError:
    return PromptSalienceError(
        f"Could not write {path}: {error.strerror or error}.",
        "Choose a path in an existing, writable folder.",
    )
