#!/usr/bin/env bash
# Build .venv-peers, the optional environment of benchmarks/peers.py (real peers in the same
# run: LIT 1.3's HFSalienceModel and plain PyTorch against our engine, on the same weights).
# Idempotent: fast when already done; rebuilt when this script, the pins or pyproject.toml change.
# Not part of scripts/setup.sh or the tests (about 2 GB: PyTorch CPU, transformers, JAX).
#
#   1. the project and its own dependencies, as scripts/setup.sh installs them (keras-hub
#      without TensorFlow);
#   2. benchmarks/peers-requirements.txt, all pinned, except lit-nlp;
#   3. lit-nlp without its declared dependencies (they pin numpy<2, which JAX 0.10 cannot use,
#      and bring LIT's UI stack); the few its HFSalienceModel imports are in the pins;
#   4. a check that everything imports.
#
# Then: .venv-peers/bin/python benchmarks/peers.py --repeats 3
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON_BIN="${PYTHON:-python3.11}"
VENV="${PEERS_VENV:-.venv-peers}"  # another folder for a trial build
REQUIREMENTS=benchmarks/peers-requirements.txt

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON_BIN" -m venv "$VENV"
fi

stamp="$VENV/.installed-$(cat "$REQUIREMENTS" scripts/peers-env.sh pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing the peers' environment into $VENV (first run: a few minutes)..."
  pip=("$VENV/bin/python" -m pip install -q)
  "${pip[@]}" --upgrade pip
  "${pip[@]}" --no-deps "keras-hub==0.32.0"
  "${pip[@]}" -e .
  pins="$(mktemp)"
  trap 'rm -f "$pins"' EXIT
  grep -v '^lit-nlp' "$REQUIREMENTS" > "$pins"
  "${pip[@]}" -r "$pins"
  "${pip[@]}" --no-deps "$(grep '^lit-nlp' "$REQUIREMENTS")"
  "$VENV/bin/python" -c "
import torch, transformers, gguf, prompt_salience
from lit_nlp.examples.prompt_debugging.transformers_lms import HFSalienceModel
print('peers environment: torch', torch.__version__, '(CUDA build)' if torch.version.cuda else '(CPU build)',
      '| transformers', transformers.__version__)
"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
