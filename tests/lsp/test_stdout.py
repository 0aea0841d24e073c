"""stdout is the JSON-RPC channel: stray prints (JAX, absl) must land on stderr."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
from prompt_salience.server import protect_stdout
channel = protect_stdout()
print("stray print")
os.write(1, b"stray write to fd 1\\n")
channel.write(b"Content-Length: 2\\r\\n\\r\\n{}")
channel.flush()
"""


def test_stray_output_goes_to_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, timeout=60, check=True
    )
    assert done.stdout == b"Content-Length: 2\r\n\r\n{}"
    assert b"stray print" in done.stderr
    assert b"stray write to fd 1" in done.stderr
