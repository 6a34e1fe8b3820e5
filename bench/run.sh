#!/bin/sh
# Runs the benchmarks built in build folder $1 (default: build). Figures go to docs/benchmarks.md by hand.
set -e
B=${1:-build}
if [ -x "$B/bench_task_lateness" ]; then
  echo "== task lateness: 100 periodic tasks (20 ms), no client / 1 / 2 shell clients"
  for c in 0 1 2; do "$B/bench_task_lateness" 100 20 10 "$c"; done
fi
