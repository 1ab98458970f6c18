#!/bin/sh
# Repeats the two-runtime replication test (runtime/launcher ReplicationIT) with fresh random seeds: each round cuts
# the link and kills the primary at new random points, in synchronous and asynchronous mode, and checks the promoted
# replica and a point-in-time recovery. Prints one line per round and a summary; exits non-zero on the first failure
# (its seed is in the line, and -Dweir.test.seed=SEED repeats it).
# Usage: bench/replication-soak.sh [rounds (default 10)]   Needs: mvn -B install -DskipTests done once, python3-libnbd.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-10}
cd "$root"
pass=0
i=1
while [ "$i" -le "$rounds" ]; do
  out=$(mvn -B -o -pl runtime/launcher failsafe:integration-test failsafe:verify -Dit.test=ReplicationIT 2>&1) || {
    echo "$out" | grep -E 'replication |FAIL|expected' | head -20
    echo "round $i FAILED after $pass passing rounds"
    exit 1
  }
  echo "round $i: $(echo "$out" | grep -E '^replication (sync|async) .*acknowledged' | sed 's/; d failed over.*//' | tr '\n' ' ')"
  pass=$((pass + 1))
  i=$((i + 1))
done
echo "$pass of $rounds rounds passed"
