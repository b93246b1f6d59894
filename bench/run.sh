#!/usr/bin/env bash
# bench/run.sh - build mcpmon (Release) and the benchmark tools, run every
# benchmark and write bench/RESULTS.md. Not part of CI; about 5 minutes on
# 2 cores, every step under a timeout.
#
#   bench/run.sh [--quick] [--runs N] [--keep] [--only SECTIONS]
#
#   --quick   fewer and shorter runs (a smoke test of the benchmarks; the
#             figures are noisier)
#   --runs N  runs per side for the proxy and start-up figures (default 5)
#   --keep    keep the temporary folder with every log
#   --only S  run only these sections (comma-separated: proxy, growth,
#             reload, breakdown, compare, watching, watchscale, footprint,
#             gateway, biglist, interference, stderr) and write the results
#             to <build>/RESULTS-only.md instead: bench/RESULTS.md holds
#             whole runs only. Issue 18's sections:
#               breakdown     where one reload's time goes (mcpmon's --debug
#                             log), save -> visible against the cold start
#               compare       mcpmon, nodemon and entr restarting the same
#                             server (nodemon: npm ci --prefix bench when
#                             missing; entr: apt-get install when missing
#                             and root, else its row says skipped)
#               watchscale    the watcher at 1k/20k/100k files against
#                             watch_floor; initialize with 100k files
#               gateway       start -> full tools/list, 1/10/50/100
#                             backends, against starting them directly
#               biglist       one backend of 10,000 tools against the relay
#               interference  one backend restarting in a loop, another's
#                             call latency (p99.9) against idle
#
# Environment: BENCH_BUILD_DIR (default <repo>/build-bench), CC (default cc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${BENCH_BUILD_DIR:-$root/build-bench}
cc=${CC:-cc}
args=("$@")

# The project build. Someone's half-written code may break it for a while:
# retry a few times before giving up.
mkdir -p "$build"
buildlog=$build/bench-build.log
built=no
for attempt in 1 2 3 4 5 6; do
  if cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
      -DMCPMON_TESTS=ON >"$buildlog" 2>&1 &&
     timeout 600 cmake --build "$build" -j2 >>"$buildlog" 2>&1; then
    built=yes
    break
  fi
  echo "bench: build failed (attempt $attempt of 6), retrying in 30 s;" \
       "see $buildlog" >&2
  tail -5 "$buildlog" >&2 || true
  sleep 30
done
if [ "$built" != yes ]; then
  echo "bench: cannot build mcpmon; see $buildlog" >&2
  exit 1
fi

# The benchmark tools: small standalone C programs, no CMake target needed.
mkdir -p "$build/bench"
read -r -a cjson <<<"$(pkg-config --cflags --libs libcjson)"
for tool in mcp_bench_server mcp_bench_client mcp_bench_fleet relay \
    watch_floor; do
  "$cc" -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
    -o "$build/bench/$tool" "$here/$tool.c" "${cjson[@]}"
done

out=("--out" "$here/RESULTS.md" "--analysis" "$here/analysis.md")
for arg in "${args[@]}"; do
  case $arg in
    --only|--only=*) out=("--out" "$build/RESULTS-only.md") ;;
  esac
done

exec timeout 1200 python3 "$here/bench.py" \
  --mcpmon "$build/mcpmon" --bin "$build/bench" --root "$root" "${out[@]}" \
  --command "bench/run.sh${args[*]:+ ${args[*]}}" "${args[@]}"
