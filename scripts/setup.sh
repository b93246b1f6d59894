#!/usr/bin/env bash
# The README's first command: install the Debian packages, build mcpmon,
# install it on the PATH (/usr/local/bin), and show the hot-reload loop on
# the example server.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMCPMON_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO cmake --install build/release >/dev/null
echo "Installed $(command -v mcpmon) ($(mcpmon --version))"
echo
[ "${1:-}" = "--no-demo" ] || python3 examples/demo.py
