"""Entry point of the language server: `python -m prompt_salience.server` (stdio).

stdout is the JSON-RPC channel, and JAX, absl and keras may print at import. Before anything
else is imported, the real stdout is duplicated for JSON-RPC and file descriptor 1 (and
`sys.stdout`) is pointed at stderr, so stray prints land in the log, never in the protocol.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO


def protect_stdout() -> BinaryIO:
    """A private binary stream on the real stdout; fd 1 and sys.stdout now write to stderr."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def main() -> int:
    channel = protect_stdout()
    import logging

    logging.basicConfig(
        level=os.environ.get("PROMPT_SALIENCE_LOG", "WARNING").upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        from .lsp.language_server import serve
    except ModuleNotFoundError as error:  # e.g. pygls: say which, and the command that fixes it
        from .missing_module import missing_module_error

        print(f"error: {missing_module_error(error).one_line()}", file=sys.stderr)
        return 1
    serve(sys.stdin.buffer, channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
