#!/usr/bin/env bash
# bench/cron.sh [BUILD_DIR] - the scheduler benchmarks (docs/benchmarks.md, "Scheduler"):
#   1. CPU cost of 1,000 cron jobs over a simulated day (bench/cron_bench.c, built here -O2);
#   2. firing lateness on a live node (BUILD_DIR/micros, a Release build: `make build`),
#      idle and with shell clients hammering it (bench/cron_live.py).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$here" -o "$out/cron_bench" "$here/bench/cron_bench.c" \
  "$here/svc/cron.c" "$here/svc/metrics_count.c" "$here/svc/clock.c" "$here/svc/sun.c" "$here/core/ev.c" "$here/core/err.c" \
  "$here/core/log.c" "$here/core/str.c" "$here/port/posix/ev_poll.c" "$here/port/posix/hal_time.c" -lm
echo "## Scheduler: 1,000 cron jobs over a simulated day ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
"$out/cron_bench" 1000
echo
echo "## Scheduler: firing lateness on a live node"
python3 "$here/bench/cron_live.py" "$build/micros"
