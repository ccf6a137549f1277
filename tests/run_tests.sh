#!/bin/sh
# Runs every test binary in each build dir given, then every CLI test script,
# and ends with the plain "N passed, N failed" line CI reads.
# A test binary or script that exits non-zero counts as failed; its output is kept.
set -u
passed=0; failed=0; failures=""
# A passing test's notices (a check it could not run here) stay visible.
notices() { printf '%s\n' "$1" | grep -iE "notice|not (checked|executed|run)" | sed 's/^/    /'; }
for dir in "$@"; do
    for t in "$dir"/tests/test_*; do
        [ -x "$t" ] || continue
        name="$t"
        if out=$("$t" 2>&1); then
            passed=$((passed + 1)); echo "PASS $name"; notices "$out"
        else
            failed=$((failed + 1)); failures="$failures $name"
            echo "FAIL $name"; echo "$out" | tail -40
        fi
    done
done
for s in tests/cli/*.sh; do
    [ -f "$s" ] || continue
    if out=$(SLMBENCH="$1/slmbench" sh "$s" 2>&1); then
        passed=$((passed + 1)); echo "PASS $s"; notices "$out"
    else
        failed=$((failed + 1)); failures="$failures $s"
        echo "FAIL $s"; echo "$out" | tail -40
    fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
