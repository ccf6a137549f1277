#!/bin/sh
# Bad input end to end, as a user would give it, for every command that reads
# or writes files: a missing file, a directory where a file is expected, an
# empty / truncated / wrong-shape JSON or JSONL file, an output path whose
# directory is a file (we may run as root, so permissions cannot make a path
# unwritable), an unknown flag, a missing value, negative or malformed numbers.
# Each case must exit with the documented status (2 = bad input) and print
# exactly one line on stderr, "slmbench CMD: ..." naming the file or the flag,
# with no sanitizer report (run it with SLMBENCH=build-NAME-asan/slmbench).
# Outputs that are checked up front must not be created, and no work is done
# for nothing (bench/score -o, carbon/route --json, compare --junit).
set -u
B=${SLMBENCH:-build/slmbench}
case "$B" in /*) ;; *) B=$(pwd)/$B ;; esac   # the cases run inside the temp dir
M=tests/fixtures/engine/tiny-llama-Q4_K_M.gguf
T=$(mktemp -d /tmp/slm_bad_input_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && cat "$T/err"; exit 1; }
[ -f "$M" ] || fail "fixture model $M missing"
cases=0

# bad EXIT NEEDLE CMD ARGS...: exit EXIT, one stderr line "slmbench CMD..." containing NEEDLE
bad() {
    expected=$1; needle=$2; shift 2
    (cd "$T" && "$B" "$@") >"$T/out" 2>"$T/err"; rc=$?
    [ "$rc" -eq "$expected" ] || fail "slmbench $*: exit $rc, expected $expected"
    [ "$(wc -l < "$T/err")" -eq 1 ] || fail "slmbench $*: stderr is not one line"
    grep -q "^slmbench $1" "$T/err" || fail "slmbench $*: the line does not start with 'slmbench $1'"
    grep -qF -- "$needle" "$T/err" || fail "slmbench $*: the line does not name '$needle'"
    ! grep -qi "sanitizer\|runtime error" "$T/err" || fail "slmbench $*: sanitizer report"
    cases=$((cases + 1))
}

# ---- inputs --------------------------------------------------------------------------
mkdir "$T/adir"
echo "not a directory" > "$T/afile"
: > "$T/empty.json"
printf '{"schema":"slmbench.results","schema_version":1,"runs":[{"items":[' > "$T/trunc.json"
echo '{"schema":"slmbench.results","schema_version":1,"runs":[{"items":"x"}]}' > "$T/badruns.json"
echo '[1,2]' > "$T/array.json"
printf '{"id":"a","type":"qa"\n' > "$T/trunc.jsonl"
echo 'not a gguf' > "$T/bad.gguf"
head -c 1000 "$M" > "$T/trunc.gguf"
MODEL=$(pwd)/$M
# a valid results file to reach the output checks (bench with the tiny model, seconds)
(cd "$T" && "$B" bench -m "$MODEL" -p 4 -n 2 -r 1 --warmup 0 --output-format json -o good.json) \
    >/dev/null 2>"$T/err" || fail "bench to make a results file"
[ -f "$T/good.json" ] || fail "bench wrote no good.json"

# ---- model / tokenize / detokenize ------------------------------------------------------
for f in missing.gguf adir bad.gguf trunc.gguf empty.json; do
    bad 2 "$f" model info "$f"
    bad 2 "$f" tokenize -m "$f" -p hello
done
bad 2 "--bogus" model --bogus
bad 2 "-o" model synth --preset smollm2-135m --type Q4_0 -o
bad 2 "nope" model synth --preset nope --type Q4_0 -o x.gguf
bad 2 "-3" model synth --preset smollm2-135m --type Q4_0 -o x.gguf --threads -3
bad 3 "afile/x.gguf" model synth --preset test-odd --type Q4_0 -o afile/x.gguf
bad 2 "adir" model synth --preset test-odd --type Q4_0 -o x.gguf --vocab adir
bad 2 "missing-vocab.gguf" model synth --preset test-odd --type Q4_0 -o x.gguf --vocab missing-vocab.gguf
bad 2 "adir" tokenize -m "$MODEL" --file adir
bad 2 "missing.txt" tokenize -m "$MODEL" --file missing.txt
bad 2 "-1" tokenize -m "$MODEL" -p a --bench --seconds -1
bad 2 "-5" detokenize -m "$MODEL" --ids "1 -5"
bad 2 "99999999" detokenize -m "$MODEL" --ids 99999999

# ---- device ------------------------------------------------------------------------
bad 2 "--bogus" device --bogus
bad 2 "-1" device --sample -1
bad 2 "--meter-clock" device --sample 0.1 --meter-clock sideways
bad 2 "missing.csv" device --sample 0.1 --meter-csv missing.csv
bad 2 "adir" device --sample 0.1 --meter-csv adir
bad 2 "missing-profiles" device --profiles missing-profiles
bad 2 "afile" device --profiles afile

# ---- run / bench / soak ---------------------------------------------------------------
bad 2 "missing.gguf" run -m missing.gguf
bad 2 "adir" run -m adir
bad 2 "bad.gguf" run -m bad.gguf --suite qa --limit 1 -o r1
bad 2 "missing.jsonl" run -m "$MODEL" --suite missing.jsonl -o r2
bad 2 "trunc.jsonl" run -m "$MODEL" --suite trunc.jsonl -o r3
bad 2 "adir" run -m "$MODEL" --suite adir -o r4
bad 2 "afile" run -m "$MODEL" --suite qa --limit 1 -o afile/sub
bad 2 "afile" run -m "$MODEL" --suite qa --limit 1 -o afile
bad 2 "--threads" run -m "$MODEL" --threads -1
bad 2 "--threads" run -m "$MODEL" --threads 1,,2
bad 2 "--limit" run -m "$MODEL" --limit -5
bad 2 "--seed" run -m "$MODEL" --seed -1
bad 2 "-m" run -m
bad 2 "adir" bench -m adir
bad 2 "missing.gguf" bench -m missing.gguf
bad 2 "-p" bench -m "$MODEL" -p -1
bad 2 "xml" bench -m "$MODEL" --output-format xml
bad 2 "afile/x.json" bench -m "$MODEL" -p 4 -n 2 -r 1 -o afile/x.json
bad 2 "adir" bench -m "$MODEL" -p 4 -n 2 -r 1 -o adir
grep -q "rep 1" "$T/err" && fail "bench measured before refusing its -o"
bad 2 "adir" soak -m adir
bad 2 "--minutes" soak -m "$MODEL" --minutes -1
bad 2 "afile" soak -m "$MODEL" --minutes 0.01 -o afile/s

# ---- score -----------------------------------------------------------------------------
D=$(pwd)/tasks/suites/code_python.jsonl
echo '{"id":"python/01_running_max","prediction":"x"}' > "$T/pred.jsonl"
bad 2 "required" score
bad 2 "missing.jsonl" score --task squad --data missing.jsonl --predictions pred.jsonl
bad 2 "adir" score --task squad --data adir --predictions pred.jsonl
bad 2 "trunc.json" score --task squad --data trunc.json --predictions pred.jsonl
bad 2 "adir" score --task humaneval --data "$D" --predictions adir
bad 2 "trunc.jsonl" score --task humaneval --data "$D" --predictions trunc.jsonl
bad 2 "array.json" score --task humaneval --data "$D" --predictions array.json
bad 2 "--workers" score --task humaneval --data "$D" --predictions pred.jsonl --workers 2x
bad 2 "--seed" score --task humaneval --data "$D" --predictions pred.jsonl --seed -1
bad 2 "--timeout" score --task humaneval --data "$D" --predictions pred.jsonl --timeout 0
bad 2 "afile/r.json" score --task humaneval --data "$D" --predictions pred.jsonl -o afile/r.json
bad 2 "adir" score --task humaneval --data "$D" --predictions pred.jsonl -o adir
[ -s "$T/out" ] && fail "score scored before refusing its -o"

# ---- report / compare / history / carbon / route over bad results files ------------------
for f in missing.json adir empty.json trunc.json badruns.json array.json; do
    bad 2 "$f" report "$f" -o rep
    bad 2 "$f" compare "$f" good.json
    bad 2 "$f" history add "$f" --db h.sqlite
    bad 2 "$f" carbon "$f" --grid-gco2-per-kwh 100
    bad 2 "$f" route "$f" --cloud-accuracy 0.9 --cloud-latency-ms 100 --price-in 1 --price-out 1
done
bad 2 "afile" report good.json -o afile
bad 2 "afile/rep" report good.json -o afile/rep
bad 2 "--bogus" report good.json --bogus
bad 2 "--threshold" compare good.json good.json --threshold -3
bad 2 "--metric decode_tsp" compare good.json good.json --metric decode_tsp
bad 2 "afile/j.xml" compare good.json good.json --junit afile/j.xml
bad 2 "adir" compare good.json good.json --markdown adir
bad 2 "adir" history add good.json --db adir
bad 2 "trunc.json" history show --metric decode_tps --db trunc.json
bad 2 "missing.sqlite" history show --metric decode_tps --db missing.sqlite
bad 2 "decode_tsp" history show --metric decode_tsp --db h.sqlite
bad 2 "--min-shift" history show --metric decode_tps --db h.sqlite --min-shift -3
bad 2 "bogus" history bogus
bad 2 "--pue" carbon good.json --region FR --pue 0.5
bad 2 "--pue" carbon good.json --region FR --pue nan
bad 2 "--grid-gco2-per-kwh" carbon good.json --grid-gco2-per-kwh -5
bad 2 "XX" carbon good.json --region XX
bad 2 "adir" carbon good.json --region FR --grid-data adir
bad 2 "trunc.json" carbon good.json --region FR --grid-data trunc.json
bad 2 "array.json" carbon good.json --region FR --cloud-data array.json
bad 2 "afile/c.json" carbon good.json --grid-gco2-per-kwh 100 --json afile/c.json
bad 2 "adir" route good.json --cloud-accuracy 0.9 --cloud-latency-ms 100 --price-in 1 --price-out 1 --json adir
bad 2 "--price-in" route good.json --cloud-accuracy 0.9 --cloud-latency-ms 100 --price-in -1 --price-out 1
ls "$T" | grep -q "\.tmp" && fail "a temporary file was left behind: $(ls "$T")"
echo "ok: $cases bad inputs, each one line and the documented exit status"
