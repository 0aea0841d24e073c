#!/usr/bin/env bash
# Set everything up, the end-to-end test's tools included (scripts/setup.sh --e2e), then run
# every check: ruff, mypy (strict on pyserver/), the tests (the real embedded model included),
# and the VS Code extension's checks: eslint, tsc, its unit tests (node --test) and its
# end-to-end test in a real VS Code (code-server + headless Chromium).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --e2e
echo "== ruff"
.venv/bin/ruff check pyserver tests benchmarks
.venv/bin/ruff format --check pyserver tests benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
. scripts/node-env.sh
echo "== eslint"
eslint .
echo "== tsc"
tsc --noEmit -p .
echo "== extension unit tests (node --test)"
rm -rf build/unit
tsc -p extension/test/tsconfig.json
node --test build/unit/test/unit/*.test.js
echo "== extension end to end (code-server, headless Chromium, the real server and model; screenshots in out/e2e/)"
node --test --test-concurrency=1 --test-timeout=1800000 build/unit/test/e2e/*.test.js
