#!/bin/sh
# slmbench score end to end: HumanEval canonical solutions all pass (pass@1 = 1.0),
# the wrong completions all fail (0.0), both through the sandbox with 2 workers;
# bad input gives one line and exit 2; SQuAD and ROUGE scoring on small fixtures.
# The HumanEval part needs $SLM_SHARED_DIR (default ../shared next to the repo).
set -u
B=${SLMBENCH:-build/slmbench}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SLM_SHARED_DIR:-$ROOT/../shared}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- usage errors: one line, exit 2
"$B" score --task nope --data x --predictions y 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "bad --task exit $rc"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "bad --task: not one line"

# --- a truncated JSONL line names file:line
printf '{"task_id": "a", "completion": "x"}\n{"task_id": "b", "compl\n' > "$T/bad.jsonl"
printf '{"id":"q1","type":"qa","context":"c","question":"q","references":["x"]}\n' > "$T/qa.jsonl"
"$B" score --task squad --data "$T/qa.jsonl" --predictions "$T/bad.jsonl" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "truncated predictions exit $rc"
grep -q "bad.jsonl:2:" "$T/err" || fail "truncated line not named: $(cat "$T/err")"

# --- SQuAD-style scoring on a native QA file
cat > "$T/qa.jsonl" <<'J'
{"id":"q1","type":"qa","context":"The bridge opened in 1932.","question":"When did it open?","references":["1932","in 1932"]}
{"id":"q2","type":"qa","context":"Ada wrote the notes.","question":"Who wrote the notes?","references":["Ada Lovelace"]}
J
cat > "$T/qa_pred.jsonl" <<'J'
{"id":"q1","prediction":"In 1932."}
{"id":"q2","prediction":"Ada"}
J
"$B" score --task squad --data "$T/qa.jsonl" --predictions "$T/qa_pred.jsonl" --json > "$T/out.json" || fail "squad score"
# q1 EM 1, F1 1; q2 EM 0, F1 = 2*(1/1*1/2)/(1+1/2) = 2/3 -> means 0.5 and 0.8333
grep -q '"exact_match":[[:space:]]*0.5,' "$T/out.json" || fail "squad EM: $(cat "$T/out.json")"
grep -q '"f1":[[:space:]]*0.83333' "$T/out.json" || fail "squad F1: $(cat "$T/out.json")"

# --- ROUGE on a mapped summarization JSONL
cat > "$T/sum.jsonl" <<'J'
{"guid":"s1","article":"Some article text.","highlights":"the cat sat on the mat"}
J
printf '{"id":"s1","prediction":"the cat sat on the mat"}\n' > "$T/sum_pred.jsonl"
"$B" score --task rouge --data "$T/sum.jsonl" --field document=article --field summary=highlights \
    --field id=guid --predictions "$T/sum_pred.jsonl" --json > "$T/out.json" || fail "rouge score"
grep -q '"rougeLsum":[[:space:]]*1' "$T/out.json" || fail "rouge identical != 1: $(cat "$T/out.json")"
"$B" score --task rouge --data "$T/sum.jsonl" --field document=article --field summary=highlights \
    --field id=guid --predictions "$T/sum_pred.jsonl" -o "$T/res.json" > /dev/null || fail "rouge -o"
grep -q '"rouge1":[[:space:]]*1' "$T/res.json" || fail "-o file lacks the metrics"

# --- MBPP format and pass@k over several samples per problem (needs python3)
if command -v python3 >/dev/null 2>&1; then
    cat > "$T/mbpp.jsonl" <<'J'
{"task_id": 1, "text": "Write a function to add two numbers.", "code": "def add(a, b):\n    return a + b", "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"], "test_setup_code": "", "challenge_test_list": []}
{"task_id": 2, "text": "Write a function to negate a number.", "code": "def neg(a):\n    return -a", "test_list": ["assert neg(3) == -3"], "test_setup_code": "", "challenge_test_list": []}
J
    # problem 1: 1 of 2 samples pass; problem 2: 0 of 2 (second is a syntax error)
    cat > "$T/mbpp_pred.jsonl" <<'J'
{"task_id": 1, "completion": "```python\ndef add(a, b):\n    return a + b\n```"}
{"task_id": 1, "completion": "def add(a, b):\n    return a - b\n"}
{"task_id": 2, "completion": "def neg(a):\n    return a\n"}
{"task_id": 2, "completion": "def neg(a)\n    return -a\n"}
J
    "$B" score --task mbpp --data "$T/mbpp.jsonl" --predictions "$T/mbpp_pred.jsonl" --k 1,2,5 --json > "$T/out.json" \
        || fail "mbpp score"
    # pass@1 = mean(1/2, 0) = 0.25; pass@2 = mean(1, 0) = 0.5; pass@5 needs 5 samples: unavailable
    grep -q '"pass@1":[[:space:]]*0.25,' "$T/out.json" || fail "mbpp pass@1: $(cat "$T/out.json")"
    grep -q '"pass@2":[[:space:]]*0.5,' "$T/out.json" || fail "mbpp pass@2: $(cat "$T/out.json")"
    grep -q '"pass@5":[[:space:]]*"unavailable"' "$T/out.json" || fail "mbpp pass@5: $(cat "$T/out.json")"
    grep -q '"compile_error":[[:space:]]*1,' "$T/out.json" || fail "mbpp syntax error not counted"
else
    echo "NOTICE: python3 absent: MBPP pass@k check not executed"
fi

# --- HumanEval conformance over the shared dataset
H="$SHARED/datasets/humaneval"
if [ ! -f "$H/HumanEval.jsonl.gz" ]; then
    echo "NOTICE: $H not found (set SLM_SHARED_DIR): HumanEval end-to-end check not executed"
    echo ok; exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    "$B" score --task humaneval --data "$H/HumanEval.jsonl.gz" --predictions "$H/canonical.jsonl" --json > "$T/out.json" \
        || fail "humaneval without python3"
    grep -q '"pass@1":[[:space:]]*"unavailable"' "$T/out.json" || fail "no python3 must be unavailable"
    echo "NOTICE: python3 absent: HumanEval items reported unavailable, pass/fail not checked"
    echo ok; exit 0
fi
start=$(date +%s)
"$B" score --task humaneval --data "$H/HumanEval.jsonl.gz" --predictions "$H/canonical.jsonl" --json --workers 2 > "$T/can.json" \
    || fail "humaneval canonical exit"
grep -q '"pass@1":[[:space:]]*1$' "$T/can.json" || fail "canonical pass@1 != 1: $(head -20 "$T/can.json")"
grep -q '"passed":[[:space:]]*164,' "$T/can.json" || fail "canonical: not 164 passed"
"$B" score --task humaneval --data "$H/HumanEval.jsonl.gz" --predictions "$H/wrong.jsonl" --json --workers 2 > "$T/wrong.json" \
    || fail "humaneval wrong exit"
grep -q '"pass@1":[[:space:]]*0$' "$T/wrong.json" || fail "wrong pass@1 != 0: $(head -20 "$T/wrong.json")"
grep -q '"passed":[[:space:]]*0,' "$T/wrong.json" || fail "wrong: some passed"
echo "HumanEval: canonical 164/164, wrong 0/164 in $(( $(date +%s) - start )) s"
echo ok
