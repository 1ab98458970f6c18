#!/bin/sh
# Write latency (QD1 p50/p99/mean) and IOPS (QD16) of 4 KiB random writes without replication, with asynchronous
# and with synchronous replication to a receiver on loopback, and the RPO of asynchronous replication under that
# load. Usage: bench/replication-latency.sh [seconds per measurement] [directory for the replicas]
# (builds the replication sample's tests first; the replicas go to the temporary directory unless given)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -o -pl sample-filters/replication test-compile
exec mvn -B -q -o -pl sample-filters/replication exec:java \
  -Dexec.mainClass=io.weir.samples.replication.ReplicationBenchmark \
  -Dexec.classpathScope=test \
  -Djava.util.logging.config.file="$root/sample-filters/replication/src/test/resources/logging.properties" \
  -Dexec.args="${1:-5} ${2:-}"
