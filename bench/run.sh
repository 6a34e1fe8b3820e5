#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - runs every benchmark against BUILD_DIR/micros and prints the tables
# for docs/benchmarks.md. Build with `make build` (Release, no sanitizers) first.
set -euo pipefail
build=${1:-build}
cmake --build "$build" --target shell_bench >/dev/null
echo "## Shell ($(date -u +%F), $(nproc) cores, $(uname -m))"
"$build/shell_bench" "$build/micros" 2000
