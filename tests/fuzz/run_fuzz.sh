#!/bin/sh
# run_fuzz.sh SECONDS — builds the libFuzzer targets with clang (libFuzzer +
# ASan + UBSan) into build-fuzz/ and runs them one after the other, splitting
# SECONDS between them (the total stays about SECONDS; CI runs it):
#  - fuzz_gguf: the GGUF reader. Seeds: tests/fixtures GGUF files, the tiny
#    models of ../shared when present ($SLM_SHARED_DIR), and truncated copies.
#  - fuzz_tokenizer: tokenize/detokenize of arbitrary bytes with the GPT-2,
#    Llama SPM and Phi-3 vocabularies. Seeds: every case of the .inp files.
# Exits non-zero on any crash of either target; the crash file paths are printed.
set -u
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
out=build-fuzz
shared=${SLM_SHARED_DIR:-../shared}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 || { echo "fuzz: clang not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$out/corpus" "$out/crashes" "$out/seeds" "$out/tok_corpus" "$out/tok_seeds" "$out/tok_obj" || exit 2
rm -f "$out"/crashes/* 2>/dev/null   # only this run's findings count

flags="-g -O1 -std=c11 -D_GNU_SOURCE -I. -Iengine -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# slm_type_name lives in the kernel module; the reader only needs a stub for messages.
cat > "$out/fuzz_stubs.c" <<'STUB'
#include "slm.h"
const char *slm_type_name(int type) { (void)type; return 0; }
STUB
echo "fuzz: building $out/fuzz_gguf"
$CLANG $flags tests/fuzz/fuzz_gguf.c engine/gguf.c "$out/fuzz_stubs.c" -o "$out/fuzz_gguf" || {
    echo "fuzz: build failed" >&2; exit 2; }

# The tokenizer needs the whole engine (slm_vocab_load goes through the model
# loader); ISA-specific files get their flags as in the Makefile.
echo "fuzz: building $out/fuzz_tokenizer"
objs=""
for src in engine/*.c; do
    obj="$out/tok_obj/$(basename "$src" .c).o"
    isa=""
    case "$src" in
        *_avx2.c) isa="-mavx2 -mfma -mf16c" ;;
        *_avx512.c) isa="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx2 -mfma -mf16c" ;;
    esac
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find engine -name '*.h' -newer "$obj")" ]; then
        $CLANG $flags $isa -pthread -c "$src" -o "$obj" || { echo "fuzz: build failed ($src)" >&2; exit 2; }
    fi
    objs="$objs $obj"
done
$CLANG $flags -pthread tests/fuzz/fuzz_tokenizer.c $objs -lpcre2-8 -lm -o "$out/fuzz_tokenizer" || {
    echo "fuzz: build failed" >&2; exit 2; }

# GGUF seeds: small GGUF files (<= 2 MiB) and truncated copies of them.
n=0
for f in tests/fixtures/engine/*.gguf tests/fixtures/tokenizer/*.gguf "$shared"/fixtures/engine/*.gguf; do
    [ -f "$f" ] || continue
    size=$(wc -c < "$f")
    [ "$size" -le 2097152 ] || continue
    base=$(basename "$f" .gguf)
    cp "$f" "$out/seeds/$base.gguf"
    for cut in 24 64 256 1024 4096 16384; do
        [ "$cut" -lt "$size" ] && head -c "$cut" "$f" > "$out/seeds/$base.cut$cut"
    done
    n=$((n + 1))
done
[ -d "$shared" ] || echo "fuzz: NOTICE $shared not present: seeding from tests/fixtures only"
echo "fuzz: $n GGUF seed files (+ truncated copies)"

# Tokenizer seeds: each test case of each .inp file (cases are separated by
# a line "__ggml_vocab_test__").
for f in tests/fixtures/tokenizer/*.inp; do
    [ -f "$f" ] || continue
    awk -v dir="$out/tok_seeds" -v base="$(basename "$f" .inp)" '
        $0 == "__ggml_vocab_test__" { k++; next }
        { file = sprintf("%s/%s.%03d", dir, base, k); printf "%s%s", (seen[file]++ ? "\n" : ""), $0 > file }
    ' "$f"
done
echo "fuzz: $(ls "$out/tok_seeds" | wc -l) tokenizer seed cases"

# run_target NAME SECONDS MAX_LEN CORPUS SEEDS: 0 when it ran without a finding.
run_target() {
    log="$out/$1.log"
    echo "fuzz: running $1 for ${2}s"
    "./$out/$1" "$4" "$5" -max_total_time="$2" -max_len="$3" -timeout=20 \
        -artifact_prefix="$out/crashes/$1-" -print_final_stats=1 > "$log" 2>&1
    status=$?
    tail -n 12 "$log"
    return $status
}

gguf_seconds=$((seconds / 2))
[ "$gguf_seconds" -ge 1 ] || gguf_seconds=1
tok_seconds=$((seconds - gguf_seconds))
[ "$tok_seconds" -ge 1 ] || tok_seconds=1
failed=0
run_target fuzz_gguf "$gguf_seconds" 65536 "$out/corpus" "$out/seeds" || failed=1
run_target fuzz_tokenizer "$tok_seconds" 4096 "$out/tok_corpus" "$out/tok_seeds" || failed=1
crashes=$(ls "$out"/crashes/ 2>/dev/null | head -20)
if [ "$failed" -ne 0 ] || [ -n "$crashes" ]; then
    echo "fuzz: FAILED; crash inputs:" >&2
    for c in $crashes; do echo "  $out/crashes/$c" >&2; done
    exit 1
fi
echo "fuzz: no crash in ${seconds}s (fuzz_gguf ${gguf_seconds}s, fuzz_tokenizer ${tok_seconds}s; logs: $out/*.log)"
exit 0
