#!/usr/bin/env bash
# bench/task_ab.sh NEW_BUILD [OLD_BUILD] [SECONDS] - task lateness (bench_task_lateness: 100
# periodic 20 ms tasks) of two builds side by side, interleaved run by run so both see the same
# machine load: 0 and 2 hammering shell clients, each plainly and under `chrt -R -f 10`
# (SCHED_FIFO for the node only, -R: its forked clients stay normal), which takes the other
# processes' CPU use out of the figure and leaves the loop's own lateness plus the machine's
# wake-up latency. Each block ends with bench/ref/ideal_timer (one thread sleeping to absolute
# 20 ms deadlines: the machine's own wake-up lateness, the floor under any loop) in the same
# mode. The last column is the loop's own part of the lateness (bench_task_lateness: start - the
# later of due time and the wait's return; builds without ev_loop.wake_us do not print it).
# Prints a markdown table with the load average of each run.
# OLD_BUILD is a Release build of the code before a change (e.g. `git archive main` built in
# /tmp); without it only NEW_BUILD is measured. chrt needs root or CAP_SYS_NICE; without it
# those rows are skipped.
set -euo pipefail
new=${1:?usage: task_ab.sh NEW_BUILD [OLD_BUILD] [SECONDS]}
old=${2:-}
secs=${3:-10}
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d /tmp/micros-task-ab.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/ideal_timer" "$here/ref/ideal_timer.c"
builds=("new:$new" "ideal:")
[ -n "$old" ] && builds=("old:$old" "new:$new" "ideal:")
modes=(plain)
chrt -R -f 10 true 2>/dev/null && modes+=(fifo)

echo "| run | build | load avg | shell req/s | runs | skipped | p50 | p99 | p99.9 | max | loop's own part p50 / p99 |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for clients in 0 2; do
    for mode in "${modes[@]}"; do
        for b in "${builds[@]}"; do
            name=${b%%:*} dir=${b#*:}
            load=$(cut -d' ' -f1 /proc/loadavg)
            pre=()
            [ "$mode" = fifo ] && pre=(chrt -R -f 10)
            if [ "$name" = ideal ]; then
                out=$("${pre[@]}" "$tmp/ideal_timer" 20 "$secs")
            else
                out=$("${pre[@]}" "$dir/bench_task_lateness" 100 20 "$secs" "$clients")
            fi
            rps=$(sed -n 's/.*requests, \([0-9]*\) req\/s.*/\1/p' <<<"$out")
            skipped=$(sed -n 's/.*skipped \([0-9]*\).*/\1/p' <<<"$out" | head -1)
            read -r runs p50 p99 p999 max < <(sed -n \
                's/^bench clock.*runs \([0-9]*\) mean [0-9]* p50 \([0-9]*\) p99 \([0-9]*\) p99.9 \([0-9]*\) max \([0-9]*\) us/\1 \2 \3 \4 \5/p' \
                <<<"$out")
            own=$(sed -n "s/^loop's own part.* p50 \([0-9]*\) p99 \([0-9]*\) .*/\1 \/ \2 µs/p" <<<"$out")
            [ -n "$own" ] || own="–"
            label="$clients clients"
            [ "$mode" = fifo ] && label="$label, chrt -f"
            [ "$clients" = 0 ] || [ "$name" = ideal ] && rps="–"
            echo "| $label | $name | $load | $rps | $runs | $skipped | $p50 µs | $p99 µs | $p999 µs | $max µs | $own |"
        done
    done
done
