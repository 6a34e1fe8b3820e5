#!/usr/bin/env bash
# run.sh NAME - runs tests/browser/NAME.test.mjs with node's test runner (called by ctest).
#   MICROS                the micros binary under test
#   MICROS_BROWSER_DEPS   where npm ci installs playwright-core (a build folder; default: here)
#   MICROS_ARTIFACTS      where screenshots go
#   MICROS_BROWSER_TARGET real | fake | (unset: real when the binary serves HTTP, else fake)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="$1"
deps="${MICROS_BROWSER_DEPS:-$here}"
mkdir -p "$deps"
deps="$(cd "$deps" && pwd)"
# npm ci from the committed lock, once per lock change (the stamp keeps reruns fast).
if ! cmp -s "$here/package-lock.json" "$deps/.lock-installed" || [ ! -d "$deps/node_modules/playwright-core" ]; then
    if [ "$deps" != "$here" ]; then
        cp "$here/package.json" "$here/package-lock.json" "$deps/"
    fi
    # A machine that cannot fetch from the npm registry (no route, no DNS, or a proxy that
    # intercepts TLS with a certificate this system does not trust) cannot run these tests:
    # say so and skip; any other npm failure fails the test.
    if ! (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error) >"$deps/npm-ci.log" 2>&1; then
        cat "$deps/npm-ci.log" >&2
        reason=$(grep -o -i -E "self[- ]signed certificate[a-z ]*|unable to get local issuer certificate|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH" "$deps/npm-ci.log" | head -1 || true)
        if [ -n "$reason" ]; then
            echo "skipped: npm registry unreachable from this machine ($reason): cannot install playwright-core"
            exit 0
        fi
        exit 1
    fi
    cp "$here/package-lock.json" "$deps/.lock-installed"
fi
export MICROS_BROWSER_DEPS="$deps"
exec node --test --test-reporter=spec "$here/$name.test.mjs"
