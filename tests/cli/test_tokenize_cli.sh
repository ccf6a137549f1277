#!/bin/sh
# slmbench tokenize / detokenize: output formats, round trip through the CLI,
# special-token parsing, and one-line errors with exit 2 for bad input
# (missing file, not a GGUF, no tokenizer metadata, bad ids, bad flags).
set -u
B=${SLMBENCH:-build/slmbench}
V=tests/fixtures/tokenizer
GPT2=$V/ggml-vocab-gpt-2.gguf
SPM=$V/ggml-vocab-llama-spm.gguf
T=${TMPDIR:-/tmp}/slm_tok_cli.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Default: ids on the first line, then one "ID<TAB>PIECE" line per token.
out=$("$B" tokenize -m "$GPT2" -p "Hello world") || fail "tokenize exit $?"
[ "$(echo "$out" | head -1)" = "15496 995" ] || fail "gpt-2 ids: $(echo "$out" | head -1)"
[ "$(echo "$out" | wc -l)" -eq 3 ] || fail "expected ids line + 2 piece lines"
echo "$out" | sed -n 3p | grep -q "^995	 world$" || fail "piece line: $(echo "$out" | sed -n 3p)"

# --ids: the ids line only (the upstream vectors' format).
[ "$("$B" tokenize -m "$SPM" -p "Hello world" --ids)" = "15043 3186" ] || fail "llama ids"
[ "$("$B" tokenize -m "$SPM" -p "Hello world" --ids --bos)" = "1 15043 3186" ] || fail "--bos"

# Special tokens are text unless --parse-special.
[ "$("$B" tokenize -m "$GPT2" -p "<|endoftext|>" --ids --parse-special)" = "50256" ] || fail "--parse-special"
"$B" tokenize -m "$GPT2" -p "<|endoftext|>" --ids | grep -qw 50256 && fail "special parsed without --parse-special"

# --json is one object with ids and pieces.
"$B" tokenize -m "$GPT2" -p "Hi" --json | grep -q '^{"model":".*","n_tokens":1,"ids":\[17250\],"pieces":\["Hi"\]}$' \
    || fail "json: $("$B" tokenize -m "$GPT2" -p "Hi" --json)"

# Round trip through the CLI, from a file with tabs, CRLF, CJK and emoji.
printf 'def f(x):\r\n\treturn x  # \344\270\255\346\226\207 \360\237\230\200\n' > "$T/in.txt"
for m in "$GPT2" "$SPM"; do
    ids=$("$B" tokenize -m "$m" --file "$T/in.txt" --ids) || fail "tokenize --file exit $?"
    "$B" detokenize -m "$m" --ids "$ids" > "$T/out.txt" || fail "detokenize exit $?"
    cmp -s "$T/in.txt" "$T/out.txt" || fail "round trip through the CLI differs for $m"
done
[ "$("$B" detokenize -m "$SPM" --ids "1,15043,3186,2" --special)" = "<s>Hello world</s>" ] || fail "--special"

# --bench reports a rate.
"$B" tokenize -m "$GPT2" --file "$T/in.txt" --bench --seconds 0.2 | grep -q "MB/s" || fail "--bench"

# Bad input: one line on stderr, exit 2.
expect_usage() {
    "$@" > /dev/null 2> "$T/err"; rc=$?
    [ $rc -eq 2 ] || fail "exit $rc (want 2): $*"
    [ "$(wc -l < "$T/err")" -eq 1 ] || fail "not one line of error: $*"
}
expect_usage "$B" tokenize -m "$T/missing.gguf" -p x
grep -q "missing.gguf" "$T/err" || fail "error does not name the file"
printf 'not a gguf file at all, just text\n' > "$T/bad.gguf"
expect_usage "$B" tokenize -m "$T/bad.gguf" -p x
printf 'GGUF\003\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > "$T/empty.gguf"
expect_usage "$B" tokenize -m "$T/empty.gguf" -p x
grep -q "no tokenizer metadata" "$T/err" || fail "no-tokenizer error: $(cat "$T/err")"
expect_usage "$B" tokenize -m "$GPT2"
expect_usage "$B" tokenize -m "$GPT2" -p x --no-such-flag
expect_usage "$B" tokenize -m "$GPT2" --file "$T/missing.txt"
expect_usage "$B" detokenize -m "$GPT2" --ids "1 two 3"
expect_usage "$B" detokenize -m "$GPT2" --ids "99999999"
echo ok
