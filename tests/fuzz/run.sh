#!/usr/bin/env bash
# run.sh - build every libFuzzer target with clang (ASan+UBSan) in its own build folder and run
# each for a short time from its seed corpus. Exit 1 if any target finds a crash, a leak or a
# hang (the input is kept in <build>/artifacts/<target>/ and printed).
#   tests/fuzz/run.sh [--build DIR] [--seconds N] [target ...]
# Defaults: DIR = build-fuzz, N = $FUZZ_SECONDS or 12, every target of Fuzzlists.cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-fuzz
secs=${FUZZ_SECONDS:-12}
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(sed -n 's/^micros_fuzz_target(\([a-z_0-9]*\).*/\1/p' "$root/tests/fuzz/Fuzzlists.cmake")
fi
command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/deps.sh test installs it)" >&2; exit 1; }

mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
      -DMICROS_FUZZ=ON -DMICROS_TESTS=OFF >"$build/cmake.log" 2>&1 || { cat "$build/cmake.log"; exit 1; }
cmake --build "$build" -j 2 --target "${targets[@]}" >"$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }

fail=0
for t in "${targets[@]}"; do
    work=$build/corpus/$t
    art=$build/artifacts/$t
    mkdir -p "$work" "$art"
    seeds=$root/tests/fuzz/corpus/$t
    log=$build/$t.log
    set +e
    # -rss_limit_mb bounds memory; -timeout turns a hang into a reported failure.
    "$build/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ $rc -ne 0 ]; then
        echo "fuzz: $t FAILED (exit $rc); input kept in $art/:" >&2
        ls "$art" >&2
        tail -40 "$log" >&2
        fail=1
    else
        echo "fuzz: $t ok: ${runs:-?} runs in ${secs}s, coverage ${cov:-?} edges, corpus $(ls "$work" | wc -l) files"
    fi
done
rm -rf /dev/shm/micros-fuzz-cfg-* /tmp/micros-fuzz-cfg-* 2>/dev/null || true
exit $fail
