#!/usr/bin/env bash
# The README's second command: the whole test suite, twice — a normal build
# with warnings as errors, then an ASan+UBSan build. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --with-test-tools
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

jobs=$(nproc)
for variant in debug asan; do
  dir=build/test-$variant
  flags=(-DCMAKE_BUILD_TYPE=Debug -DMCPMON_WERROR=ON)
  [ "$variant" = asan ] && flags+=(-DMCPMON_SANITIZE=ON)
  echo "== $variant build"
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $variant tests"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600)
done
