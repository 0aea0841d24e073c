"""`prompt-salience check FILE...`: the problems in prompt files, as an editor shows them (no
model needed)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from ..errors import PromptSalienceError
from .exit_codes import EXIT_USER_ERROR


def add_parser(sub: Any) -> None:
    check = sub.add_parser("check", help="report problems in prompt files (no model needed)")
    check.add_argument("files", nargs="+")
    check.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..prompt.documents import read_document
    from ..prompt.line_index import line_column

    bad = 0
    for name in args.files:
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
