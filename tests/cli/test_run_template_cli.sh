#!/bin/sh
# slmbench run and chat templates (issue 3): a model whose chat template is not
# recognised is refused with one line naming the file, exit 2, and no output
# directory; --no-chat-template (raw) or --chat-template NAME makes it usable,
# and results.json records the prompt format used.
set -u
B=${SLMBENCH:-build/slmbench}
T=$(mktemp -d /tmp/slm_run_template.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && cat "$T/err"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "python3 not present: cannot patch the template, test not run"; exit 1; }
"$B" model synth --preset test-qwen2 --type Q8_0 -o "$T/m.gguf" >/dev/null 2>"$T/err" || fail "synth"
# Same-length replacement of the template text, so the GGUF stays valid.
python3 - "$T/m.gguf" <<'PY' || fail "patching the template"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
key = b"tokenizer.chat_template"
at = data.index(key) + len(key) + 4
n = struct.unpack("<Q", data[at:at + 8])[0]
data[at + 8:at + 8 + n] = (b"{# house format #}{{ messages }}" + b" " * n)[:n]
open(sys.argv[1], "wb").write(data)
PY
echo '{"id":"q1","type":"qa","context":"The sky is blue.","question":"What colour is the sky?","references":["blue"]}' > "$T/qa.jsonl"
run() { "$B" run -m "$T/m.gguf" --suite "$T/qa.jsonl" --threads 1 --max-new-tokens 2 --idle-baseline 0 "$@" >/dev/null 2>"$T/err"; }

run -o "$T/auto"; rc=$?
[ $rc -eq 2 ] || fail "unrecognised template: exit $rc, expected 2"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "unrecognised template: stderr is not one line"
grep -q "$T/m.gguf: chat template not recognised" "$T/err" || fail "error does not name the file and the problem"
[ ! -e "$T/auto" ] || fail "output directory created for refused input"
run --no-chat-template -o "$T/raw" || fail "--no-chat-template: exit $?"
grep -q '"prompt_format":[[:space:]]*"raw"' "$T/raw/results.json" || fail "--no-chat-template: prompt_format not raw"
run --chat-template chatml -o "$T/chatml" || fail "--chat-template chatml: exit $?"
grep -q '"prompt_format":[[:space:]]*"chatml"' "$T/chatml/results.json" || fail "forced family not recorded"
echo ok
