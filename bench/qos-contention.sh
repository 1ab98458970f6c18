#!/bin/sh
# Several disks of one QoS group under contention: prints disks x (reservation, limit, shares, expected and
# achieved IOPS). Usage: bench/qos-contention.sh [seconds]   (run from anywhere; builds the QoS sample's tests first)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -o -pl sample-filters/qos test-compile
exec mvn -B -q -o -pl sample-filters/qos exec:java \
  -Dexec.mainClass=io.weir.samples.qos.QosContentionBenchmark \
  -Dexec.classpathScope=test \
  -Dexec.args="${1:-5}"
