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
    (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/package-lock.json" "$deps/.lock-installed"
fi
export MICROS_BROWSER_DEPS="$deps"
exec node --test --test-reporter=spec "$here/$name.test.mjs"
