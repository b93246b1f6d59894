#!/usr/bin/env bash
# run.sh - interop test of mcpmon with the official MCP TypeScript SDK.
# ctest runs it with MCPMON set to the built binary. Installs the locked
# packages (npm ci) when node_modules is missing; runs client.mjs and exits
# with its status. Extra arguments go to client.mjs (--direct needs no MCPMON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1; then
  echo "run.sh: node is not installed (the interop test needs Node >= 20 and npm)" >&2
  exit 1
fi

if [ ! -d node_modules ]; then
  echo "run.sh: installing tests/interop packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

direct=0
for arg in "$@"; do
  if [ "$arg" = "--direct" ]; then direct=1; fi
done
if [ "$direct" = 0 ] && [ -z "${MCPMON:-}" ]; then
  echo "run.sh: MCPMON is not set (path to the mcpmon binary under test)" >&2
  exit 1
fi
if [ "$direct" = 0 ] && [ ! -x "$MCPMON" ]; then
  echo "run.sh: MCPMON=$MCPMON is not an executable file" >&2
  exit 1
fi

status=0
node client.mjs "$@" || status=$?
exit "$status"
