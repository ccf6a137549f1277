#!/bin/sh
# `slmbench device` on this machine and over a fake sysfs tree:
#  - --json names the CPU (vendor, brand, AVX-512 flags as libcpuid sees them,
#    core count as hwloc sees them), says counters are unavailable with PAPI's
#    reason when PAPI cannot count, and offers only the probes that exist;
#  - --sample reports joules and watts per probe, labelled measured/estimated;
#  - bad flags exit 2 with one line.
set -u
B=${SLMBENCH:-build/slmbench}
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || fail "python3 needed to read the JSON"
tmp=$(mktemp -d /tmp/slm_dev_cli.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

env -u SLMBENCH_SYSFS_ROOT "$B" device --json > "$tmp/device.json" || fail "device --json exit $?"
python3 - "$tmp/device.json" <<'PY' || fail "device --json content"
import json, os, re, sys
d = json.load(open(sys.argv[1]))
cpu = d["device"]["cpu"]
info = open("/proc/cpuinfo").read()
model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
vendor = re.search(r"^vendor_id\s*:\s*(.*)$", info, re.M)
assert cpu["brand"], "empty brand"
if model: assert cpu["brand"].strip() == model.group(1).strip(), (cpu["brand"], model.group(1))
if vendor: assert cpu["vendor"] == vendor.group(1).strip(), cpu["vendor"]
flags = re.search(r"^flags\s*:\s*(.*)$", info, re.M)
if flags:
    f = set(flags.group(1).split())
    for ours, linux in [("avx512f", "avx512f"), ("avx512bw", "avx512bw"),
                        ("avx512vnni", "avx512_vnni"), ("avx2", "avx2"), ("fma", "fma")]:
        assert cpu["isa"][ours] == (linux in f), (ours, cpu["isa"][ours])
import glob
core_sets = {open(f).read().strip() for f in glob.glob("/sys/devices/system/cpu/cpu[0-9]*/topology/core_cpus_list")}
assert core_sets, "no /sys/devices/system/cpu/*/topology to count cores"
assert cpu["cores"] == len(core_sets), (cpu["cores"], len(core_sets))
assert cpu["threads"] == os.cpu_count(), (cpu["threads"], os.cpu_count())
assert re.fullmatch(r"[0-9a-f]{16}", d["device"]["device_id"])
c = d["counters"]
if c["status"] == "unavailable":
    assert c["reason"], "no reason"
    assert "perf_event_paranoid" in c
    print("counters unavailable here:", c["reason"], "| perf_event_paranoid", c["perf_event_paranoid"])
p = d["power"]
names = [x["kind"] for x in p["probes"]]
have_measured = any(os.path.exists(x) for x in ["/sys/class/powercap", "/sys/class/hwmon"]) \
    or any(os.path.exists("/sys/class/power_supply/%s/type" % n) and
           open("/sys/class/power_supply/%s/type" % n).read().strip() == "Battery"
           for n in (os.listdir("/sys/class/power_supply") if os.path.isdir("/sys/class/power_supply") else []))
if not have_measured:
    assert names == ["estimated"], names
    est = p["probes"][0]
    assert est["method"] == "estimated" and est["profile"]["name"], est
    assert p["primary_probe"] == "estimated"
    for u in p["unavailable_probes"]:
        assert u["status"] == "unavailable" and u["reason"], u
print("cpu:", cpu["vendor"], "|", cpu["brand"], "|", cpu["cores"], "cores | avx512f",
      cpu["isa"]["avx512f"], "| probes:", names)
PY

"$B" device > "$tmp/device.txt" || fail "device (text) exit $?"
grep -q "^cpu " "$tmp/device.txt" || fail "text output has no cpu line"

# A fake tree: an INA3221-style hwmon rail at a constant 6 W and an estimated fallback.
root="$tmp/root"
mkdir -p "$root/sys/class/hwmon/hwmon0" "$root/proc"
printf 'ina3221\n' > "$root/sys/class/hwmon/hwmon0/name"
printf 'VDD_IN\n' > "$root/sys/class/hwmon/hwmon0/in1_label"
printf '5000\n' > "$root/sys/class/hwmon/hwmon0/in1_input"
printf '1200\n' > "$root/sys/class/hwmon/hwmon0/curr1_input"
printf 'cpu  1 0 0 100 0 0 0 0 0 0\n' > "$root/proc/stat"
SLMBENCH_SYSFS_ROOT="$root" "$B" device --sample 0.3 --hz 50 --json > "$tmp/sample.json" \
    || fail "device --sample exit $?"
python3 - "$tmp/sample.json" <<'PY' || fail "device --sample content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["primary_probe"] == "hwmon:ina3221", d["primary_probe"]
probes = {p["probe"]: p for p in d["probes"]}
h = probes["hwmon:ina3221"]
assert h["method"] == "measured" and abs(h["avg_power_w"] - 6.0) < 1e-6, h
assert abs(h["energy_j"] - 6.0 * h["duration_s"]) < 1e-6 * h["energy_j"], h
assert h["samples"] >= 2, h
assert [c["name"] for c in h["channels"]] == ["VDD_IN"], h["channels"]
assert abs(h["channels"][0]["avg_power_w"] - 6.0) < 1e-6, h["channels"]
e = probes["estimated"]
assert e["method"] == "estimated" and e["profile"], e
print("sample over fake INA3221: %.3f J in %.3f s" % (h["energy_j"], h["duration_s"]))
PY

"$B" device --sample 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--sample without value exit $rc"
[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "usage error not one line"
"$B" device --sample -1 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--sample -1 exit $rc"
"$B" device --probes nosuch 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--probes nosuch exit $rc"
grep -q "nosuch" "$tmp/err" || fail "unknown probe not named"
echo ok
