#!/bin/sh
# logits and generate on an in-repo fixture: output size and atomic replace,
# batched == incremental (the decode path), bad input is one line and exit 2
# with no output written, generate prints ids and a timing line.
set -u
B=${SLMBENCH:-build/slmbench}
M=tests/fixtures/engine/tiny-llama-Q4_K_M.gguf
T=$(cat tests/fixtures/engine/tokens.txt)
D=$(mktemp -d) || exit 1
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$B" logits -m "$M" --tokens "$T" --out "$D/batch.f32" --threads 2 || fail "batched logits exit $?"
[ "$(wc -c < "$D/batch.f32")" -eq $((32 * 512 * 4)) ] || fail "batched logits: wrong size"
"$B" logits -m "$M" --tokens "$T" --out "$D/inc.f32" --incremental --threads 1 --kv f16 || fail "incremental exit $?"
cmp -s "$D/batch.f32" "$D/inc.f32" || fail "incremental logits differ from batched"
"$B" logits -m "$M" --tokens "$T" --out "$D/f32kv.f32" --kv f32 || fail "--kv f32 exit $?"
ls "$D" | grep -q tmp && fail "temporary file left behind"

expect_usage() { # name, then the command
    name=$1; shift
    "$@" > "$D/out" 2> "$D/err"; rc=$?
    [ $rc -eq 2 ] || fail "$name: exit $rc, want 2"
    [ "$(wc -l < "$D/err")" -eq 1 ] || fail "$name: stderr is not one line: $(cat "$D/err")"
}
expect_usage "unknown flag" "$B" logits -m "$M" --tokens 1 --out "$D/x" --bogus
expect_usage "bad --kv" "$B" logits -m "$M" --tokens 1 --out "$D/x" --kv f8
expect_usage "bad token list" "$B" logits -m "$M" --tokens 1,x --out "$D/x"
expect_usage "token out of range" "$B" logits -m "$M" --tokens 1,512 --out "$D/x"
expect_usage "context overflow" "$B" logits -m "$M" --tokens 1,2,3 --ctx 2 --out "$D/x"
expect_usage "missing model" "$B" logits -m "$D/none.gguf" --tokens 1 --out "$D/x"
[ -e "$D/x" ] && fail "output written for a refused request"
expect_usage "generate without -n" "$B" generate -m "$M" --tokens 1,2
expect_usage "generate bad --temp" "$B" generate -m "$M" --tokens 1,2 -n 3 --temp hot

"$B" generate -m "$M" --tokens 1,110,107 -n 8 --threads 2 > "$D/gen" || fail "generate exit $?"
grep -q "^ids: [0-9]" "$D/gen" || fail "generate: no ids line"
grep -q "^timing: prompt_tokens=3 ttft_ms=[0-9.]* prefill_tps=[0-9.]* decode_tps=[0-9.]* rss_peak_bytes=[0-9]*" "$D/gen" \
    || fail "generate: no timing line: $(cat "$D/gen")"
"$B" generate -m "$M" --tokens 1,110,107 -n 8 --temp 0.9 --top-k 40 --top-p 0.9 --min-p 0.05 --seed 7 > "$D/a" || fail "sampled generate"
"$B" generate -m "$M" --tokens 1,110,107 -n 8 --temp 0.9 --top-k 40 --top-p 0.9 --min-p 0.05 --seed 7 > "$D/b" || fail "sampled generate"
[ "$(grep '^ids' "$D/a")" = "$(grep '^ids' "$D/b")" ] || fail "same seed, different ids"
echo ok
