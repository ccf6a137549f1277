#!/bin/sh
# make bench — engine speed against the memory-bandwidth bound (a benchmark,
# not a test; numbers move with whatever else runs on the machine).
#
# Usage: sh harness/make_bench.sh BUILD/slmbench
# For synthetic smollm2-135m and qwen2.5-0.5b at Q8_0, Q4_0 and Q4_K_M (cached
# in runs/bench/) and 1 and 2 threads, prints prefill tok/s (128-token prompt),
# decode tok/s (128 tokens), peak RSS, weight bytes read per decoded token,
# the read bandwidth measured here (tests/bench/bandwidth.c, same thread
# count, just before and after the row), the decode bound (bandwidth / bytes
# per token), decode as % of it, and the share of the requested cores the
# process got while decoding (cpu: well below 100% = other processes ran).
# Other benchmarks append a section at the end (one `section` call each).
# BENCH_PRESETS, BENCH_TYPES, BENCH_THREADS and BENCH_REPS narrow the sweep.
set -u
SLMBENCH=${1:-build/slmbench}
BIN=$(dirname "$SLMBENCH")/bench
OUT=runs/bench
PRESETS=${BENCH_PRESETS:-"smollm2-135m qwen2.5-0.5b"}
TYPES=${BENCH_TYPES:-"Q8_0 Q4_0 Q4_K_M"}
THREADS=${BENCH_THREADS:-"1 2"}
REPS=${BENCH_REPS:-3}
mkdir -p "$OUT" || exit 1

fail() { echo "make bench: $*" >&2; exit 1; }
field() { # field NAME LINE -> value of NAME=value in LINE
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
section() { echo; echo "== $*"; }

[ -x "$BIN/bandwidth" ] && [ -x "$BIN/bench_engine" ] || fail "$BIN/bandwidth or bench_engine missing (run via make bench)"

for p in $PRESETS; do
    for t in $TYPES; do
        f="$OUT/$p-$t.gguf"
        [ -s "$f" ] && continue
        echo "synthesizing $f ..." >&2
        "$SLMBENCH" model synth --preset "$p" --type "$t" -o "$f" >/dev/null || fail "synth $p $t failed"
    done
done

# Read bandwidth with th threads now (GB/s, best of 3 passes over 512 MiB, 16x L3).
# Measured right before and after each row, keeping the higher: on a shared
# machine the load changes within minutes and a stale figure misstates the bound.
bandwidth_now() {
    line=$("$BIN/bandwidth" --threads "$1" --mib 512 --passes 3) || fail "bandwidth failed"
    field best_gbs "$line"
}

section "engine: decode vs memory-bandwidth bound (best of $REPS reps; n_ctx 256; synthetic weights; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
printf "%-14s %-7s %3s %11s %10s %9s %12s %8s %10s %7s %6s\n" model type thr prefill_tps decode_tps rss_MiB \
    bytes/token bw_GB/s bound_tps %bound cpu
for p in $PRESETS; do
    for t in $TYPES; do
        for th in $THREADS; do
            bw_before=$(bandwidth_now "$th")
            line=$("$BIN/bench_engine" "$OUT/$p-$t.gguf" --threads "$th" --prompt 128 --decode 128 --reps "$REPS") \
                || fail "bench_engine $p $t failed"
            bw=$(bandwidth_now "$th")
            bw=$(echo "$bw $bw_before" | awk '{ print ($1 > $2) ? $1 : $2 }')
            echo "$line" | awk -v p="$p" -v t="$t" -v bw="$bw" '{
                for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                bound = bw * 1e9 / v["decode_bytes_per_token"]
                printf "%-14s %-7s %3d %11.1f %10.1f %9.0f %12.0f %8.2f %10.1f %6.0f%% %5.0f%%\n", p, t, v["threads"],
                    v["prefill_tps"], v["decode_tps"], v["rss_peak_bytes"] / 1048576,
                    v["decode_bytes_per_token"], bw, bound, 100 * v["decode_tps"] / bound,
                    100 * v["decode_cpu_share"] }'
        done
    done
done
echo "target: decode >= 75% of the bound for Q8_0 and Q4_0 on 2 threads"

# ---- tokenizer (issue #3): byte-level BPE speed on English text, one thread ----
TOK_TEXT="$OUT/tokenizer-english.txt"
[ -s "$TOK_TEXT" ] || cat /usr/share/common-licenses/* README.md DEVELOPING.md 2>/dev/null | head -c 1000000 > "$TOK_TEXT"
section "tokenizer: English text ($(wc -c < "$TOK_TEXT") bytes: Debian license texts + docs), one thread; target: byte-level BPE >= 5 MB/s"
for v in gpt-2 llama-spm; do
    printf "%-10s " "$v"
    "$SLMBENCH" tokenize -m "tests/fixtures/tokenizer/ggml-vocab-$v.gguf" --file "$TOK_TEXT" --bench --seconds 2 \
        || fail "tokenize --bench $v failed"
done

# ---- kernels (issue #2): vec_dot GB/s of weight data per type, best ISA, one thread ----
section "kernels ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)): vec_dot weight GB/s per type, one thread, best ISA; cache = 256 KiB of rows, stream = 256 MiB read once; dot_rel_err = RMS error vs float64 dot (int8 activations), f32act = vec_dot_f32 precise path"
"$BIN/bench_quant" --isa best --mib 256 || fail "bench_quant failed"
