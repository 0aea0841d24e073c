"""The command line, `prompt-salience` (see `cli.main.main`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..missing_module import missing_module_error
from .exit_codes import EXIT_USER_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """The command line, with a module missing anywhere (even at import) said in one line."""
    try:
        from .main import main as run

        return run(argv)
    except ModuleNotFoundError as error:
        print(f"error: {missing_module_error(error).one_line()}", file=sys.stderr)
        return EXIT_USER_ERROR


__all__ = ["main"]
