#!/bin/sh
# The CLI's contract: --help works, an unknown command or flag is a usage error (exit 2) with one line.
set -u
B=${SLMBENCH:-build/slmbench}
fail() { echo "FAIL: $*"; exit 1; }
"$B" --help >/dev/null || fail "--help exit $?"
"$B" --version | grep -q "^slmbench " || fail "--version"
"$B" no-such-command 2>/tmp/slm_cli_err.$$; rc=$?
[ $rc -eq 2 ] || fail "unknown command exit $rc"
[ "$(wc -l < /tmp/slm_cli_err.$$)" -eq 1 ] || fail "unknown command: not one line"
rm -f /tmp/slm_cli_err.$$
echo ok
