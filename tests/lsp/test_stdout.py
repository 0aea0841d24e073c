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


def _message(payload: str) -> bytes:
    body = payload.encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_serve_subcommand_speaks_lsp_on_stdio() -> None:
    messages = [
        '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}',
        '{"jsonrpc": "2.0", "method": "initialized", "params": {}}',
        '{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}',
        '{"jsonrpc": "2.0", "method": "exit"}',
    ]
    done = subprocess.run(
        [sys.executable, "-m", "prompt_salience", "serve"],
        input=b"".join(_message(m) for m in messages),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b"Content-Length: ")
    assert b'"codeLensProvider"' in done.stdout
    assert b'"promptSalience.run"' in done.stdout
    assert b'"id": 2' in done.stdout
