#!/usr/bin/env bash
# lint.sh - the lint gate of CI (.ci/run runs it with `make test`; `make lint` alone):
#  1. every C file (tracked or new, not ignored) is formatted as .clang-format says
#     (clang-format --dry-run --Werror; `make format` fixes it);
#  2. cppcheck finds nothing: errors plus the warning and portability checks (real bugs:
#     uninitialised reads, leaks, out-of-bounds, null dereferences, undefined behaviour), not
#     style. Suppressions: the list below, each with why; a one-off false positive gets an
#     inline '/* cppcheck-suppress <id> ; <why> */' on the line before it.
# Exit 1 on any finding. Needs git, clang-format and cppcheck (scripts/deps.sh test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${LINT_BUILD:-$root/build-lint}
for t in git clang-format cppcheck; do
    command -v "$t" >/dev/null || { echo "lint: $t is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
done
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' | sort -u)
mapfile -t cfiles < <(printf '%s\n' "${files[@]}" | grep '\.c$')
[ ${#files[@]} -gt 0 ] || { echo "lint: no C files found (not a git checkout?)" >&2; exit 1; }
fail=0

bad=$(clang-format --dry-run --Werror "${files[@]}" 2>&1 | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*clang-format.*/\1/p' | sort -u || true)
if [ -n "$bad" ]; then
    echo "lint: not formatted as .clang-format says (run 'make format' or clang-format -i FILE):" >&2
    echo "$bad" | sed 's/^/  /' >&2
    fail=1
else
    echo "lint: clang-format: ${#files[@]} files formatted"
fi

# -D fixes one configuration (the one the Linux build uses, libgpiod included) instead of every
# #ifdef combination; --cppcheck-build-dir keeps results between runs (only changed files again).
# Suppressed, each with why:
#  missingIncludeSystem: cppcheck gets the project's headers only (-I .), not the system's;
#    not finding <stdio.h> and friends is expected and changes no finding about our code.
suppress=(--suppress=missingIncludeSystem)
mkdir -p "$work/cppcheck"
set +e
out=$(cppcheck -q -j 2 --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
          --cppcheck-build-dir="$work/cppcheck" "${suppress[@]}" \
          -I . -DMICROS_HAVE_GPIOD=1 --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
          "${cfiles[@]}" 2>&1)
rc=$?
set -e
if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "lint: cppcheck findings (fix the code; a false positive gets an inline" >&2
    echo "      '/* cppcheck-suppress <id> ; <why> */' on the line before):" >&2
    echo "$out" >&2
    fail=1
else
    echo "lint: cppcheck: ${#cfiles[@]} C files, no findings"
fi
exit $fail
