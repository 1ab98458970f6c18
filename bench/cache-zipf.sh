#!/bin/sh
# The cache sample on a Zipfian 4 KiB trace: hit ratio of S3-FIFO vs LRU vs the offline optimum (Belady) at several
# cache sizes, then IOPS over a backend with added latency without a cache and with the cache (write-through,
# write-back). Usage: bench/cache-zipf.sh [seconds per IOPS run] [backend latency ms]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -B -q -o -pl sample-filters/cache test-compile
exec mvn -B -q -o -pl sample-filters/cache exec:java \
  -Dexec.mainClass=io.weir.samples.cache.CacheBenchmark \
  -Dexec.classpathScope=test \
  -Dexec.args="${1:-5} ${2:-1}"
