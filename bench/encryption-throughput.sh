#!/bin/sh
# The encryption sample filter's cost: XTS-AES-256 throughput on one core (4 KiB data units) against the JDK's
# AES-256/ECB, and 4 KiB random read/write IOPS at queue depth 32 through the encryption filter against a pass-through
# filter on a standalone disk. Usage: bench/encryption-throughput.sh [seconds per measurement]
# (run from anywhere; builds the encryption sample's tests first)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -o -pl sample-filters/encryption test-compile
exec mvn -B -q -o -pl sample-filters/encryption exec:java \
  -Dexec.mainClass=io.weir.samples.encryption.EncryptionBenchmark \
  -Dexec.classpathScope=test \
  -Dexec.args="${1:-3}"
