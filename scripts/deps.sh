#!/usr/bin/env bash
# Installs the Debian packages mcpmon needs to build and test. Skips apt
# when everything is present already. Uses sudo when not run as root.
set -euo pipefail

PACKAGES=(build-essential cmake pkg-config libuv1-dev libcjson-dev libyaml-dev
          uthash-dev libncurses-dev python3 nodejs npm tmux)
if [ "${1:-}" = "--with-test-tools" ]; then
  # libclang-rt-dev holds the libFuzzer and sanitizer runtimes; clang only
  # recommends it, and recommends are not installed below.
  PACKAGES+=(clang libclang-rt-dev clang-format)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
# A node that came with the machine (not from apt) is fine too.
if command -v node >/dev/null && command -v npm >/dev/null; then
  keep=()
  for p in "${missing[@]}"; do
    [ "$p" = nodejs ] || [ "$p" = npm ] || keep+=("$p")
  done
  missing=("${keep[@]+"${keep[@]}"}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
