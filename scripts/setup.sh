#!/usr/bin/env bash
# Set up what Prompt Salience needs, idempotently (fast when already done): a .venv at the
# repository root with the package and its dev tools, the embedded Gemma 3 270M converted once
# into the user's cache (~/.cache/prompt-salience), and the VS Code extension: Node 24 in
# .tools/, its npm packages, the bundle and dist/prompt-salience.vsix. That is all the demo needs.
#   scripts/setup.sh --e2e          also the end-to-end test's tools (Debian's chromium and
#                                   code-server in .tools/; scripts/test.sh asks for them);
#   scripts/setup.sh --code-server  also code-server (scripts/code-server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Prompt Salience needs Python >= 3.11 (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

# The extension's Node part (Node 24, npm packages, the bundle) needs no Python: it runs beside
# the Python install, and is waited for below (a failure there stops the setup).
scripts/setup-extension.sh --node-part &
node_part=$!

if [ ! -x .venv/bin/python ]; then
  "$(pick_python)" -m venv .venv
fi

# Reinstall only when the dependency list changed.
stamp=".venv/.installed-$(cat pyproject.toml scripts/setup.sh scripts/light_requirements.py | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing Python packages into .venv (first run: a few minutes)..."
  .venv/bin/python -m pip install -q --upgrade pip
  # The TensorFlow-free install (scripts/light_requirements.py says why and how).
  requirements=$(mktemp -d)
  .venv/bin/python scripts/light_requirements.py no-deps --out "$requirements/no-deps.txt"
  .venv/bin/python scripts/light_requirements.py others --extra dev --out "$requirements/others.txt"
  .venv/bin/python -m pip install -q --no-deps -r "$requirements/no-deps.txt"
  .venv/bin/python -m pip install -q -r "$requirements/others.txt"
  .venv/bin/python -m pip install -q --no-deps -e .
  rm -rf "$requirements"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Convert the embedded model once (about 30 s; later runs return at once).
.venv/bin/prompt-salience prepare

# The VS Code extension (its wheel and .vsix), and the tools asked for (scripts/setup-extension.sh).
wait "$node_part"
scripts/setup-extension.sh "$@"
