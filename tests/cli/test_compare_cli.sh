#!/bin/sh
# The decision commands end to end on planted results files (results/SCHEMA.md):
# compare exit codes (0 same, 1 planted 10% slowdown, 2 other device / bad file),
# JUnit and Markdown outputs, history add/show with a change point, carbon with a
# cited region and hand-checked numbers, route with constants.
set -u
B=${SLMBENCH:-build/slmbench}
T=$(mktemp -d /tmp/slm_cli_h.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# make_results FILE DEVICE FACTOR CREATED: 20 items, decode_tps = base[i] * FACTOR,
# energy_j 3.6 J (1 mWh) each, 100 + 20 tokens, f1 1 for even items.
make_results() {
    awk -v dev="$2" -v f="$3" -v created="$4" 'BEGIN {
        printf "{\"schema\":\"slmbench.results\",\"schema_version\":1,\"created_utc\":\"%s\",", created
        printf "\"tool\":{\"git_commit\":\"cli\"},\"device\":{\"device_id\":\"%s\"},\"runs\":[{", dev
        printf "\"run_id\":\"r0001\",\"run_key\":\"suite=qa|threads=2\",\"kind\":\"suite\",\"started_utc\":\"%s\",", created
        printf "\"model\":{\"name\":\"m\",\"sha256\":\"abc\"},\"aggregates\":{\"accuracy\":{\"metric\":\"f1\"}},\"items\":["
        for (i = 0; i < 20; i++) {
            d = (20 + ((i * 7) % 5) * 0.1) * f
            printf "%s{\"id\":\"q%d\",\"rep\":0,\"decode_tps\":%.4f,\"ttft_ms\":%d,\"e2e_ms\":%d,", (i ? "," : ""), i, d, 100 + (i % 3), 1000 + i
            printf "\"energy_j\":3.6,\"energy_method\":\"measured: planted\",\"prompt_tokens\":100,\"generated_tokens\":20,"
            printf "\"logprob_mean\":%.2f,\"scores\":{\"f1\":%d}}", -0.1 * (i + 1), (i % 2 == 0)
        }
        printf "]}]}\n"
    }' > "$1"
}
make_results "$T/base.json" dev1 1.0 2026-11-01T00:00:00Z
make_results "$T/same.json" dev1 1.0 2026-11-02T00:00:00Z
make_results "$T/slow.json" dev1 0.9 2026-11-03T00:00:00Z
make_results "$T/slow2.json" dev1 0.9 2026-11-04T00:00:00Z
make_results "$T/other.json" dev2 1.0 2026-11-05T00:00:00Z

# ---- compare ----
"$B" compare "$T/base.json" "$T/same.json" > "$T/out" 2>&1; rc=$?
[ $rc -eq 0 ] || { cat "$T/out"; fail "identical runs: exit $rc, expected 0"; }
"$B" compare "$T/base.json" "$T/slow.json" --junit "$T/j.xml" --markdown "$T/r.md" > "$T/out" 2>&1; rc=$?
[ $rc -eq 1 ] || { cat "$T/out"; fail "10% slowdown: exit $rc, expected 1"; }
grep -q "decode_tps.*REGRESSION" "$T/out" || fail "slowdown not reported as REGRESSION"
"$B" compare "$T/base.json" "$T/slow.json" --paired > "$T/out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "metrics paired by item" "$T/out" || fail "--paired slowdown: exit $rc"
grep -q '<failure message="decode_tps regressed' "$T/j.xml" || fail "JUnit has no failure for decode_tps"
grep -q '^\*\*FAIL\*\*' "$T/r.md" || fail "Markdown report does not say FAIL"
"$B" compare "$T/base.json" "$T/other.json" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "different devices: exit $rc, expected 2"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "refusal is not one line"
grep -q "different devices" "$T/err" || fail "refusal does not say why"
"$B" compare "$T/base.json" "$T/other.json" --force > "$T/out" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "--force on identical values: exit $rc, expected 0"
grep -q "forced despite: different devices" "$T/out" || fail "--force does not show the reason"
echo '{"schema":"nope"}' > "$T/bad.json"
"$B" compare "$T/base.json" "$T/bad.json" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "bad file: exit $rc, expected 2"
[ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "bad.json" "$T/err" || fail "bad file: not one line naming it"
"$B" compare "$T/base.json" "$T/same.json" --alpha x > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad --alpha accepted"

# ---- history ----
for f in base same slow slow2; do
    "$B" history add "$T/$f.json" --db "$T/h.sqlite" > /dev/null || fail "history add $f"
done
"$B" history add "$T/base.json" --db "$T/h.sqlite" | grep -q "1 already stored" || fail "re-add not deduplicated"
"$B" history show --metric decode_tps --db "$T/h.sqlite" --chart "$T/trend" > "$T/out" 2>&1 || fail "history show"
grep -q "4 run(s)" "$T/out" || { cat "$T/out"; fail "history show: wrong run count"; }
grep -q "2026-11-03.*change point (-10" "$T/out" || { cat "$T/out"; fail "history: the -10% level shift is not marked"; }
[ -f "$T/trend.gp" ] || fail "history: no gnuplot script"
grep -q "^chart: " "$T/out" || fail "history: no chart line"
"$B" history add "$T/bad.json" --db "$T/h.sqlite" 2> "$T/err"; [ $? -eq 2 ] || fail "history add bad file"
"$B" history show --metric decode_tps --db "$T/h.sqlite" > "$T/out" 2>&1 || fail "history show (default chart)"
[ -f "$T/history_decode_tps.gp" ] || fail "history: default chart script not beside the database"
"$B" history show --metric decode_tps --db "$T/none.sqlite" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && [ ! -f "$T/none.sqlite" ] || fail "history show on a missing database: exit $rc or file created"

# ---- carbon: 3.6 J = 0.001 Wh per query; FR 56 g/kWh -> 5.6e-5 g per query, 0.056 g per 1,000 ----
"$B" carbon "$T/base.json" --region FR > "$T/out" 2>&1 || { cat "$T/out"; fail "carbon --region FR"; }
grep -q "per query.*0.0010 Wh.*0.000056.*\[measured\]" "$T/out" || { cat "$T/out"; fail "carbon per-query figures"; }
grep -q "per 1,000 queries.*1.000 Wh.*0.0560" "$T/out" || { cat "$T/out"; fail "carbon per-1000 figures"; }
grep -q "Ember" "$T/out" || fail "carbon: grid source not cited"
grep -q "Gemini" "$T/out" || fail "carbon: cloud comparison missing"
"$B" carbon "$T/base.json" --grid-gco2-per-kwh 500 --pue 1.2 --json "$T/c.json" > /dev/null || fail "carbon --json"
grep -q '"co2e_g_per_1000_queries":	0.6' "$T/c.json" || { cat "$T/c.json"; fail "carbon JSON: 1 Wh x 500 g/kWh x 1.2 != 0.6 g per 1,000"; }
grep -q '"label":	"measured"' "$T/c.json" || fail "carbon JSON: energy label missing"
"$B" carbon "$T/base.json" --region XX > /dev/null 2> "$T/err"; [ $? -eq 2 ] || fail "unknown region accepted"
"$B" carbon "$T/base.json" > /dev/null 2>&1; [ $? -eq 2 ] || fail "carbon without a grid accepted"

# ---- route ----
"$B" route "$T/base.json" --cloud-accuracy 0.9 --cloud-latency-ms 800 --price-in 1 --price-out 4 \
    --device-usd 200 --chart "$T/route" > "$T/out" 2>&1 || { cat "$T/out"; fail "route"; }
grep -q "cloud only" "$T/out" && grep -q "<- chosen" "$T/out" || { cat "$T/out"; fail "route: no sweep/choice"; }
grep -q "break-even" "$T/out" || fail "route: no break-even line"
"$B" route "$T/base.json" --cloud-accuracy 0.9 --cloud-latency-ms 800 --price-in 1 --price-out 4 \
    --json "$T/route.json" --chart "$T/route" > /dev/null 2>&1 || fail "route --json"
grep -q '"schema":	"slmbench.route"' "$T/route.json" && grep -q '"break_even_queries":	"unavailable' "$T/route.json" \
    || { cat "$T/route.json"; fail "route JSON"; }
"$B" route "$T/base.json" --cloud-accuracy 0.9 --cloud-latency-ms 800 > /dev/null 2>&1
[ $? -eq 2 ] || fail "route without prices accepted"
echo ok
