#!/usr/bin/env bash
# The README's second command: the whole test suite, twice — a normal build
# with warnings as errors, then an ASan+UBSan build — and then each libFuzzer
# target for a short bounded time (clang). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --with-test-tools
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

# The tree's one format (.clang-format, STYLE.md): any drift fails here.
echo "== clang-format"
# (Not the installed npm packages: some carry C headers of their own.)
find src tests bench -name node_modules -prune -o -name '*.[ch]' -print0 |
  xargs -0 clang-format --dry-run -Werror

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

# libFuzzer targets (tests/fuzz): MCPMON_FUZZ_SECONDS (20) each over its corpus.
dir=build/test-fuzz
echo "== fuzz build (clang)"
CC=clang cmake -S . -B "$dir" -DMCPMON_FUZZ=ON -DMCPMON_TESTS=ON \
  -DMCPMON_WERROR=ON >/dev/null
cmake --build "$dir" -j"$jobs" --target fuzz
echo "== fuzz tests"
(cd "$dir" && ctest -L fuzz --output-on-failure -j"$jobs")
