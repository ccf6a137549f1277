#!/bin/sh
# slmbench generate and chat templates (issue 3): --chat renders the model's
# own template, --chat-template NAME forces a family (implies --chat),
# --no-chat-template sends the raw prompt; an unknown family, or --chat on a
# model without a template, is one line on stderr and exit 2.
set -u
B=${SLMBENCH:-build/slmbench}
BASE=tests/fixtures/engine/tiny-llama-Q4_K_M.gguf
T=$(mktemp -d /tmp/slm_generate_chat.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && cat "$T/err"; exit 1; }
"$B" model synth --preset test-qwen2 --type Q8_0 -o "$T/chatml.gguf" >/dev/null 2>"$T/err" || fail "synth"
prompt_tokens() { sed -n 's/^timing: prompt_tokens=\([0-9]*\) .*/\1/p' "$T/out"; }
gen() { m=$1; shift; "$B" generate -m "$m" -p "hello there" -n 1 "$@" >"$T/out" 2>"$T/err"; }

gen "$T/chatml.gguf" --chat || fail "--chat exit $?"
chat=$(prompt_tokens)
gen "$T/chatml.gguf" --chat-template chatml || fail "--chat-template chatml exit $?"
[ "$(prompt_tokens)" = "$chat" ] || fail "--chat-template chatml: $(prompt_tokens) prompt tokens, --chat gave $chat"
gen "$T/chatml.gguf" --chat --no-chat-template || fail "--no-chat-template exit $?"
raw=$(prompt_tokens)
[ -n "$raw" ] && [ "$raw" -lt "$chat" ] || fail "--no-chat-template: $raw prompt tokens, not fewer than chat ($chat)"
gen "$T/chatml.gguf" --chat-template zephyr || fail "--chat-template zephyr exit $?"
[ "$(prompt_tokens)" != "$chat" ] || fail "--chat-template zephyr rendered like chatml"

gen "$T/chatml.gguf" --chat-template no-such-family; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "no-such-family" "$T/err" \
    || fail "unknown family: exit $rc, expected 2 and one line naming it"
gen "$BASE" --chat; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "tiny-llama" "$T/err" \
    || fail "--chat without a template: exit $rc, expected 2 and one line naming the model"
gen "$BASE" --chat-template chatml || fail "--chat-template on a model without a template: exit $?"
gen "$BASE" --chat-template chatml --no-chat-template; rc=$?
[ $rc -eq 2 ] || fail "--chat-template with --no-chat-template: exit $rc, expected 2"
echo ok
