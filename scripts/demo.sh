#!/usr/bin/env bash
# Set up what the demo needs (scripts/setup.sh: no end-to-end tools), then run the main job on
# the embedded model: explain the codelab's menu prompt (with its copy-paste mistake) in the
# terminal, and write a shareable report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
.venv/bin/prompt-salience run prompts/menu-fewshot-mistake.prompt \
  --json out/menu-fewshot-mistake.json --html out/menu-fewshot-mistake.html "$@"
echo "Open out/menu-fewshot-mistake.html in a browser to share the result."
