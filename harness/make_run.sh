#!/bin/sh
# make run: the end-to-end benchmark on a fresh machine. `make run` has already
# installed packages and built the binary given as $1. This script synthesizes
# the default model once (SmolLM2-135M shape, Q4_K_M, random weights, cached in
# runs/models/), runs a small sample of each built-in suite, writes
# runs/<UTC timestamp>/ with results.json, items.csv, report.md and charts/,
# and prints the summary table. Budget: under 3 minutes on 2 cores.
# Knobs (environment): SLMBENCH_RUN_LIMIT items per suite (default 3),
# SLMBENCH_RUN_MAX_NEW max generated tokens per item (default 32).
set -eu
B=${1:-build/slmbench}
LIMIT=${SLMBENCH_RUN_LIMIT:-3}
MAX_NEW=${SLMBENCH_RUN_MAX_NEW:-32}
MODEL_DIR=runs/models
MODEL=$MODEL_DIR/smollm2-135m-q4_k_m.gguf
THREADS=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
mkdir -p "$MODEL_DIR"
if [ -f "$MODEL" ]; then
    echo "make run: [1/3] using cached synthetic model $MODEL"
else
    echo "make run: [1/3] synthesizing the default model (SmolLM2-135M shape, Q4_K_M, random weights) -> $MODEL"
    rm -f "$MODEL.tmp"
    "$B" model synth --preset smollm2-135m --type Q4_K_M -o "$MODEL.tmp"
    mv "$MODEL.tmp" "$MODEL"
fi
OUT=runs/$(date -u +%Y%m%dT%H%M%SZ)
echo "make run: [2/3] $LIMIT items each of qa, summarization, code on $THREADS threads (progress below) -> $OUT"
rc=0
"$B" run -m "$MODEL" --suite qa,summarization,code --limit "$LIMIT" --max-new-tokens "$MAX_NEW" \
    --threads "$THREADS" -o "$OUT" || rc=$?
if [ ! -f "$OUT/results.json" ]; then
    echo "make run: no results were written (exit $rc)" >&2
    exit 1
fi
echo "make run: [3/3] report and charts"
"$B" report "$OUT/results.json" -o "$OUT"
end=$(date +%s)
echo
echo "make run: done in $((end - start)) s. Outputs:"
echo "  $OUT/results.json   every item and aggregate (results/SCHEMA.md)"
echo "  $OUT/items.csv      one row per item"
echo "  $OUT/report.md      tables and charts ($OUT/charts/)"
echo "  The model is synthetic (random weights): accuracy is not meaningful; speed and memory are real"
echo "  measurements; energy is measured or estimated (J/query marked (est.)) as report.md says."
exit "$rc"
