#!/usr/bin/env bash
# Cost of four pass-through filters on the in-process data path, measured fairly on a noisy machine:
# JMH forks with 0 and with 4 filters run alternately, several rounds, and the ratio of medians is printed.
# Usage: bench/jmh-filter-overhead.sh [rounds] [qd ...]      (defaults: 5 rounds, qd 32)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/runtime/benchmarks/target/benchmarks.jar"
rounds="${1:-5}"; shift || true
qds=("${@:-32}")
[[ -f "$jar" ]] || (cd "$root" && mvn -B -q -DskipTests install && mvn -B -q -pl runtime/benchmarks package)
out="$(mktemp -d)"
for qd in "${qds[@]}"; do
  for op in read write; do
    for round in $(seq 1 "$rounds"); do
      for filters in 0 4; do
        java -jar "$jar" DataPathBenchmark -p filters="$filters" -p qd="$qd" -p op="$op" \
          -f 1 -wi 2 -i 3 -w 2s -r 2s -rf csv -rff "$out/$op-$qd-$filters-$round.csv" >/dev/null
      done
    done
  done
done
python3 - "$out" "$rounds" "${qds[@]}" <<'PY'
import csv, glob, os, statistics, sys
out, rounds, qds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def score(path):
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["Benchmark"].endswith(".io"):
                return float(row["Score"])
print(f"{'op':6} {'qd':>3} {'0 filters (median ops/s)':>26} {'4 filters (median ops/s)':>26} {'ratio':>7}")
for qd in qds:
    for op in ("read", "write"):
        s = {n: [score(p) for p in sorted(glob.glob(os.path.join(out, f"{op}-{qd}-{n}-*.csv")))] for n in (0, 4)}
        m0, m4 = statistics.median(s[0]), statistics.median(s[4])
        print(f"{op:6} {qd:>3} {m0:>26,.0f} {m4:>26,.0f} {m4 / m0:>7.3f}")
        print(f"{'':10} rounds, 0 filters: {', '.join(f'{x:,.0f}' for x in s[0])}")
        print(f"{'':10} rounds, 4 filters: {', '.join(f'{x:,.0f}' for x in s[4])}")
PY
