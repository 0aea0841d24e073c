#!/usr/bin/env bash
# Try the extension in the browser: code-server (installed in .tools/ by
# scripts/setup.sh --code-server) with dist/prompt-salience.vsix, on
# http://127.0.0.1:${PORT:-8080} (loopback only, no password), opening FOLDER (default:
# prompts/). Its state stays in .tools/code-server-state/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --code-server
. scripts/node-env.sh
state="$PWD/.tools/code-server-state"
folder="$(realpath "${1:-prompts}")"
code_server() {
  .tools/code-server/node_modules/.bin/code-server --config "$state/config.yaml" \
    --user-data-dir "$state/user-data" --extensions-dir "$state/extensions" "$@"
}
# The interpreter is a machine setting: code-server keeps those in its remote settings.
mkdir -p "$state/user-data/Machine"
machine="$state/user-data/Machine/settings.json"
[ -f "$machine" ] || printf '{\n  "promptSalience.interpreter": "%s"\n}\n' "$PWD/.venv/bin/python" > "$machine"
code_server --install-extension dist/prompt-salience.vsix --force >/dev/null
echo "Open http://127.0.0.1:${PORT:-8080} (Ctrl+C stops code-server)."
exec .tools/code-server/node_modules/.bin/code-server --config "$state/config.yaml" \
  --user-data-dir "$state/user-data" --extensions-dir "$state/extensions" \
  --auth none --bind-addr "127.0.0.1:${PORT:-8080}" --disable-telemetry --disable-update-check \
  --disable-getting-started-override "$folder"
