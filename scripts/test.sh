#!/usr/bin/env bash
# Set everything up, then run every check: ruff, mypy (strict on pyserver/), and the tests
# (the real embedded model included). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check pyserver tests benchmarks
.venv/bin/ruff format --check pyserver tests benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
