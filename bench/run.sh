#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - runs every benchmark against BUILD_DIR (a Release build: `make build`)
# and prints the tables for docs/benchmarks.md (copied there by hand, with the method).
set -euo pipefail
build=${1:-build}
cmake --build "$build" --target shell_bench bench_task_lateness >/dev/null
echo "## Shell ($(date -u +%F), $(nproc) cores, $(uname -m), load $(cut -d' ' -f1 /proc/loadavg))"
"$build/shell_bench" "$build/micros" 2000
echo
echo "## Tasks: 100 periodic tasks (20 ms), with 0 / 1 / 2 shell clients hammering"
for c in 0 1 2; do "$build/bench_task_lateness" 100 20 10 "$c"; done

echo
# The network core's ratios: shell against ideal_shell, writes per reply, fsyncs per slider drag
"$(dirname "$0")/ratio.sh" "$build"

echo
# HTTP: wrk against micros and nginx; also rewrites the HTTP section of docs/benchmarks.md
"$(dirname "$0")/http_wrk.sh" "$build" 5
