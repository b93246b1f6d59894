#!/usr/bin/env bash
# run.sh - interop test of mcpmon with the official MCP TypeScript SDK.
# ctest runs it with MCPMON set to the built binary. Installs the locked
# packages (npm ci) when node_modules is missing or older than
# package-lock.json; runs client.mjs (single mode) and exits with its
# status. With --gateway it runs gateway.mjs instead: gateway mode over the
# reference servers server-everything and server-memory. Other arguments
# go to client.mjs (--direct needs no MCPMON). With --differential it runs
# differential.mjs: server-everything directly and through the gateway,
# the same calls compared field by field. With --inspector it runs
# inspector.mjs: the MCP Inspector CLI through the gateway.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1; then
  echo "run.sh: node is not installed (the interop test needs Node >= 20 and npm)" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "run.sh: installing tests/interop packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

direct=0
script=client.mjs
args=()
for arg in "$@"; do
  case "$arg" in
    --direct) direct=1; args+=("$arg") ;;
    --gateway) script=gateway.mjs ;;
    --differential) script=differential.mjs ;;
    --inspector) script=inspector.mjs ;;
    *) args+=("$arg") ;;
  esac
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
node "$script" "${args[@]+"${args[@]}"}" || status=$?
exit "$status"
