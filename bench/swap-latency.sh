#!/bin/sh
# Client latency in steady state and during live swaps, and the stall of each swap.
#
# A weir runtime with a 1 GiB memory-backed disk and the pass-through sample filter; a verifying libnbd client
# (bench/nbd-verify-load.py, 4 KiB random reads and writes, QD 16) runs one phase without swaps, then one phase
# while the filter is swapped live over and over (the admin op filter.configure, each a full live swap). Prints the
# client's latency percentiles for both phases and the stall the runtime measured for each swap.
#
# Usage: bench/swap-latency.sh [seconds-per-phase (default 20)] [pause-between-swaps-seconds (default 0.2)]
# Needs: weir.jar built (mvn -B install -DskipTests), python3 with the libnbd binding (Debian: python3-libnbd).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
pause=${2:-0.2}
jar="$root/runtime/launcher/target/weir.jar"
[ -f "$jar" ] || { echo "build weir first: $jar is missing" >&2; exit 2; }
py=python3
/usr/bin/python3 -c 'import nbd' 2>/dev/null && py=/usr/bin/python3
$py -c 'import nbd' || { echo "python3 needs the libnbd binding (python3-libnbd)" >&2; exit 2; }
data=$(mktemp -d /tmp/weir-swap-bench.XXXXXX)
weir() { java -jar "$jar" "$@" --data-dir "$data"; }
cleanup() { weir stop >/dev/null 2>&1 || true; rm -rf "$data"; }
trap cleanup EXIT

java -jar "$jar" run --data-dir "$data" > "$data/runtime.log" 2>&1 &
i=0
until grep -q ' ready: ' "$data/runtime.log"; do
  i=$((i + 1)); [ $i -lt 600 ] || { cat "$data/runtime.log"; exit 1; }; sleep 0.1
done
weir disk create b --size 1G --backend memory >/dev/null
weir filter attach b passthrough >/dev/null
uri="nbd+unix:///b?socket=$data/run/nbd.sock"
load() { $py "$root/bench/nbd-verify-load.py" "$uri" --depth 16 --span $((256 << 20)) --seconds "$secs" "$@"; }

load --seconds 5 --seed 0 > /dev/null   # warm-up, not measured
load --seed 1 > "$data/steady.json"
load --seed 2 > "$data/swapping.json" &
client=$!
# swaps over one admin connection (a CLI process per swap would compete with the client for CPU)
$py - "$data/run/admin.sock" "$pause" $client > "$data/swaps.txt" <<'PY'
import json, os, socket, sys, time
sock, pause, client = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rw")
n = 0
while True:
    try:
        os.kill(client, 0)
    except ProcessLookupError:
        break
    f.write(json.dumps({"op": "filter.configure", "disk": "b", "filter": "passthrough",
                        "config": {"round": str(n)}}) + "\n"); f.flush()
    r = json.loads(f.readline())
    if r.get("ok"):
        sw = r["swap"]
        print("reconfigured: stalled %.3f ms, %d requests parked" % (sw["stallMillis"], sw["parked"]))
    else:
        print("failed: " + r.get("error", "?"))
    n += 1
    time.sleep(pause)
PY
wait $client

$py - "$data" "$secs" <<'PY'
import json, re, sys, statistics
data, secs = sys.argv[1], sys.argv[2]
rows = []
for phase in ("steady", "swapping"):
    r = json.load(open("%s/%s.json" % (data, phase)))
    l = r["latencyMicros"]
    rows.append((phase, r["ops"], r["iops"], l["p50"], l["p99"], l["p99.9"], l["max"], r["errors"], r["verifyFailures"]))
print("client: libnbd, 4 KiB random read/write 50/50, QD 16, %s s per phase, memory backend, pass-through filter" % secs)
print("%-9s %9s %7s %9s %9s %9s %9s %6s %8s" % ("phase", "ops", "IOPS", "p50 us", "p99 us", "p99.9 us", "max us", "errors", "verify"))
for row in rows:
    print("%-9s %9d %7d %9.1f %9.1f %9.1f %9.1f %6d %8d" % row)
text = open("%s/swaps.txt" % data).read()
stalls = [float(x) for x in re.findall(r"stalled ([0-9.]+) ms", text)]
parked = [int(x) for x in re.findall(r"([0-9]+) requests parked", text)]
failed = len(re.findall(r"^(?!reconfigured).+$", text, re.M))
if stalls:
    stalls.sort()
    print("swaps: %d done, %d failed; stall ms min %.2f median %.2f p90 %.2f max %.2f; parked per swap max %d"
          % (len(stalls), failed, stalls[0], statistics.median(stalls), stalls[int(0.9 * (len(stalls) - 1))],
             stalls[-1], max(parked)))
    steady, swapping = rows[0], rows[1]
    print("p99.9 during swaps / steady: %.2f" % (swapping[5] / steady[5]))
else:
    print("no swap completed:\n" + text)
PY
