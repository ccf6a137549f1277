#!/bin/sh
# run_fuzz.sh SECONDS — builds the GGUF reader fuzz target with clang
# (libFuzzer + ASan + UBSan) into build-fuzz/ and runs it for SECONDS.
# Seed corpus: tests/fixtures GGUF files, the tiny models of ../shared when
# present ($SLM_SHARED_DIR), and truncated
# copies of each. Exits non-zero on any crash; the crash file path is printed.
set -u
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
out=build-fuzz
shared=${SLM_SHARED_DIR:-../shared}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 || { echo "fuzz: clang not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$out/corpus" "$out/crashes" "$out/seeds" || exit 2
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

# Seeds: small GGUF files (<= 2 MiB) and truncated copies of them.
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
echo "fuzz: $n seed files (+ truncated copies), running ${seconds}s"

log="$out/fuzz.log"
"./$out/fuzz_gguf" "$out/corpus" "$out/seeds" -max_total_time="$seconds" -max_len=65536 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 > "$log" 2>&1
status=$?
tail -n 25 "$log"
crashes=$(ls "$out"/crashes/ 2>/dev/null | head -20)
if [ "$status" -ne 0 ] || [ -n "$crashes" ]; then
    echo "fuzz: FAILED (exit $status); crash inputs:" >&2
    for c in $crashes; do echo "  $out/crashes/$c" >&2; done
    exit 1
fi
echo "fuzz: no crash in ${seconds}s (log: $log)"
exit 0
