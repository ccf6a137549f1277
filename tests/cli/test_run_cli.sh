#!/bin/sh
# slmbench run / bench / soak / report from the command line:
#  - bad input (missing model, unknown suite, unwritable -o, bad flag, corrupt
#    results file) gives one line on stderr and exit 2, never a crash;
#  - a run stopped by SIGTERM keeps its finished items (exit 3, status
#    "interrupted") and --resume completes it without repeating items;
#  - a run killed with SIGKILL leaves a valid results.json that resume completes;
#  - bench --output-format json writes a results file (kind "bench", per-rep
#    samples) that report reads.
set -u
B=${SLMBENCH:-build/slmbench}
M=tests/fixtures/engine/tiny-llama-Q4_K_M.gguf
T=$(mktemp -d /tmp/slm_run_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && cat "$T/err"; exit 1; }
[ -f "$M" ] || fail "fixture model $M missing"

# expect exit $1 and exactly one line on stderr from the rest of the arguments
one_line_exit() {
    expected=$1; shift
    "$@" >/dev/null 2>"$T/err"; rc=$?
    [ "$rc" -eq "$expected" ] || fail "$*: exit $rc, expected $expected"
    [ "$(wc -l < "$T/err")" -eq 1 ] || fail "$*: stderr is not one line"
}
count_items() { c=$(grep -c '"rep":' "$1/results.json" 2>/dev/null); echo "${c:-0}"; }
wait_items() { i=0; while [ "$(count_items "$1")" -lt "$2" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; }

i=1
while [ $i -le 12 ]; do
    echo "{\"id\":\"q$i\",\"type\":\"qa\",\"context\":\"Item $i is about the number $i.\",\"question\":\"Which number is item $i about?\",\"references\":[\"$i\"],\"max_new_tokens\":6}"
    i=$((i + 1))
done > "$T/qa.jsonl"

one_line_exit 2 "$B" run -m "$T/missing.gguf" --suite "$T/qa.jsonl" -o "$T/o1"
grep -q "missing.gguf" "$T/err" || fail "missing model: error does not name the file"
one_line_exit 2 "$B" run -m "$M" --suite "$T/no-such-suite.jsonl" -o "$T/o2"
echo "not a gguf file" > "$T/corrupt.gguf"
one_line_exit 2 "$B" run -m "$T/corrupt.gguf" --suite "$T/qa.jsonl" -o "$T/o3"
grep -q "corrupt.gguf" "$T/err" || fail "corrupt model: error does not name the file"
[ ! -e "$T/o3/results.json" ] || fail "corrupt model: results written before the model was checked"
one_line_exit 2 "$B" run -m "$M" --suite "$T/qa.jsonl" --chat-template no-such-family -o "$T/o4"
one_line_exit 2 "$B" run -m "$M" --suite "$T/qa.jsonl" -o /proc/slm-not-writable/x
one_line_exit 2 "$B" run -m "$M" --threads x
one_line_exit 2 "$B" run -m "$M" --bogus-flag
echo '{"schema": "slmbench.results", "runs": [' > "$T/corrupt.json"
one_line_exit 2 "$B" report "$T/corrupt.json" -o "$T/rep"
grep -q "corrupt.json" "$T/err" || fail "corrupt results: error does not name the file"
one_line_exit 2 "$B" report "$T/nonexistent.json"
one_line_exit 2 "$B" bench -m "$T/missing.gguf"
one_line_exit 2 "$B" bench -m "$M" --output-format xml
one_line_exit 2 "$B" soak -m "$T/missing.gguf"

# SIGTERM mid-run: finished items kept, status interrupted, exit 3
"$B" run -m "$M" --suite "$T/qa.jsonl" --threads 1 --cooldown 0.3 --idle-baseline 0 -o "$T/r" >/dev/null 2>"$T/run.err" &
pid=$!
wait_items "$T/r" 2
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 3 ] || fail "SIGTERM run: exit $rc, expected 3"
kept=$(count_items "$T/r")
[ "$kept" -ge 2 ] && [ "$kept" -lt 12 ] || fail "SIGTERM run kept $kept items (expected 2..11)"
grep -q '"status":[[:space:]]*"interrupted"' "$T/r/results.json" || fail "status not interrupted"
# a new run into the same directory is refused; --resume completes it
one_line_exit 2 "$B" run -m "$M" --suite "$T/qa.jsonl" --threads 1 -o "$T/r"
"$B" run -m "$M" --suite "$T/qa.jsonl" --threads 1 --idle-baseline 0 --resume "$T/r" >/dev/null 2>"$T/err" \
    || fail "resume exit $?"
[ "$(count_items "$T/r")" -eq 12 ] || fail "after resume: $(count_items "$T/r") items, expected 12"
[ -z "$(grep '"id":[[:space:]]*"q' "$T/r/results.json" | sort | uniq -d)" ] || fail "resume repeated items"
grep -q '"status":[[:space:]]*"complete"' "$T/r/results.json" || fail "resumed run not complete"
[ "$(head -1 "$T/r/items.csv" | cut -d, -f1-3)" = "run_id,kind,model_name" ] || fail "items.csv header"

# SIGKILL mid-run: the file on disk is still a valid results document
"$B" run -m "$M" --suite "$T/qa.jsonl" --threads 1 --cooldown 0.3 --idle-baseline 0 -o "$T/k" >/dev/null 2>&1 &
pid=$!
wait_items "$T/k" 1
kill -KILL $pid; wait $pid 2>/dev/null
"$B" report "$T/k/results.json" -o "$T/krep" 2>"$T/err" || fail "report after SIGKILL"
"$B" run -m "$M" --suite "$T/qa.jsonl" --threads 1 --idle-baseline 0 --resume "$T/k" >/dev/null 2>"$T/err" \
    || fail "resume after SIGKILL exit $?"
[ "$(count_items "$T/k")" -eq 12 ] || fail "after SIGKILL + resume: $(count_items "$T/k") items"

# resuming on another device is refused (the file says which device measured it)
mkdir -p "$T/other" && sed 's/"device_id":[[:space:]]*"[0-9a-f]*"/"device_id": "0000000000000000"/' \
    "$T/k/results.json" > "$T/other/results.json"
one_line_exit 2 "$B" run -m "$M" --suite "$T/qa.jsonl" --threads 1 --idle-baseline 0 --resume "$T/other"
grep -q "0000000000000000" "$T/err" || fail "device mismatch: error does not name the recorded device"

# report of a real run
"$B" report "$T/r/results.json" 2>"$T/err" || fail "report exit $?"
grep -q "| tiny-llama-fixture |" "$T/r/report.md" || fail "report.md has no row for the model"
[ -f "$T/r/charts/latency_cdf.gp" ] || fail "chart script missing"

# two thread counts: two runs, and the throughput chart has a point for each
head -3 "$T/qa.jsonl" > "$T/qa3.jsonl"
"$B" run -m "$M" --suite "$T/qa3.jsonl" --threads 1,2 --warmup 1 --idle-baseline 0 -o "$T/t" >/dev/null 2>"$T/err" \
    || fail "run --threads 1,2 exit $?"
[ "$(grep -c '"run_key":' "$T/t/results.json")" -eq 2 ] || fail "--threads 1,2: expected 2 runs"
[ "$(count_items "$T/t")" -eq 6 ] || fail "--threads 1,2: expected 6 items (warm-up not recorded)"
"$B" report "$T/t/results.json" 2>"$T/err" || fail "report of threads run"
grep -q "^1 " "$T/t/charts/throughput_threads.dat" && grep -q "^2 " "$T/t/charts/throughput_threads.dat" \
    || fail "throughput chart data lacks a thread count"

# soak: windows recorded, throttling judged, SIGTERM keeps finished windows
"$B" soak -m "$M" --minutes 0.02 --window 0.3 -t 1 --idle-baseline 0 -o "$T/s" >"$T/soak.out" 2>"$T/err" \
    || fail "soak exit $?"
[ "$(count_items "$T/s")" -ge 3 ] || fail "soak: fewer than 3 windows"
grep -q '"throttling"' "$T/s/results.json" || fail "soak: no throttling verdict"
grep -q "^soak: .* windows, throttling " "$T/soak.out" || fail "soak: no summary line"
"$B" soak -m "$M" --minutes 5 --window 0.3 -t 1 --idle-baseline 0 -o "$T/s2" >/dev/null 2>&1 &
pid=$!
wait_items "$T/s2" 2
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 3 ] || fail "SIGTERM soak: exit $rc, expected 3"
[ "$(count_items "$T/s2")" -ge 2 ] || fail "SIGTERM soak lost its windows"
grep -q '"status":[[:space:]]*"interrupted"' "$T/s2/results.json" || fail "soak status not interrupted"

# bench JSON is a results file with per-rep samples
"$B" bench -m "$M" -p 8 -n 4 -r 3 -t 1 --warmup 0 --idle-baseline 0 --output-format json -o "$T/b.json" 2>"$T/err" \
    || fail "bench exit $?"
grep -q '"kind":[[:space:]]*"bench"' "$T/b.json" || fail "bench json: no bench run"
grep -q '"pp8+tg4"' "$T/b.json" || fail "bench json: no pp+tg test"
"$B" report "$T/b.json" -o "$T/brep" 2>"$T/err" || fail "report of bench json"
"$B" bench -m "$M" -p 8 -n 4 -r 2 -t 1 --warmup 0 --idle-baseline 0 --output-format csv 2>/dev/null \
    | head -1 | grep -q "^model,sha256,threads,test" || fail "bench csv header"
echo ok
