"""`prompt-salience`: the command line. One module per subcommand (`run_command`,
`check_command`, `prepare_command`, ...); each adds its parser and handles its arguments."""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Sequence
from types import ModuleType

from rich.console import Console

from .. import __version__
from ..errors import PromptSalienceError
from . import (
    batch_command,
    check_command,
    compare_command,
    prepare_command,
    run_command,
    test_command,
)
from .exit_codes import EXIT_INTERRUPTED, EXIT_USER_ERROR

# The subcommands, in the order `--help` lists them (`serve` is handled apart: no console).
COMMANDS: tuple[ModuleType, ...] = (
    run_command,
    batch_command,
    compare_command,
    check_command,
    test_command,
    prepare_command,
)


class _OneLineParser(argparse.ArgumentParser):
    """Usage mistakes as one line with the fix, like every other error."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"error: {message}. Fix: see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="prompt-salience",
        description="Which parts of a prompt made Gemma write what it wrote (sequence salience).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    sub.add_parser("serve", help="run the language server on stdin/stdout (LSP)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from ..server import main as serve

        return serve()
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        handler: typing.Callable[[argparse.Namespace, Console, Console], int] = args.handler
        return handler(args, out, err)
    except PromptSalienceError as error:
        err.print(f"[bold red]error:[/] {error.one_line()}", markup=True, highlight=False)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
