package io.weir.admin.load;

import java.util.List;

/**
 * The outcome of a load run. Latencies are in nanoseconds, measured from submit to completion callback.
 *
 * @param spec            what was run (with the seed actually used)
 * @param regionLength    the region's length in bytes as resolved against the disk
 * @param elapsedNanos    from the first submit to the last completion (the final FLUSH excluded)
 * @param ops             requests completed (successfully or not)
 * @param reads           reads completed
 * @param writes          writes completed
 * @param bytesRead       bytes read successfully
 * @param bytesWritten    bytes written successfully
 * @param errors          requests that completed with an error, plus requests that never completed
 * @param verifyFailures  reads whose data differed from what this run wrote
 * @param verifiedReads   reads whose every byte was checked
 * @param latency         p50, p90, p99, p99.9 and max latency, in that order
 * @param problems        the first few errors and mismatches, one line each, with offsets
 * @param flushed         whether the run ended with a successful FLUSH (it does when it wrote and the disk offers FLUSH)
 * @param cancelled       whether the run was cut short (client gone, runtime stopping)
 * @param stoppedEarly    why the run stopped before its bound, or empty
 */
public record LoadResult(LoadSpec spec, long regionLength, long elapsedNanos, long ops, long reads, long writes,
                         long bytesRead, long bytesWritten, long errors, long verifyFailures, long verifiedReads,
                         long[] latency, List<String> problems, boolean flushed, boolean cancelled,
                         String stoppedEarly) {

    public LoadResult {
        latency = latency.clone();
        problems = List.copyOf(problems);
    }

    /** Completed requests per second. */
    public double iops() {
        return elapsedNanos <= 0 ? 0 : ops * 1e9 / elapsedNanos;
    }

    /** Bytes transferred per second, in MB (10^6 bytes). */
    public double megabytesPerSecond() {
        return elapsedNanos <= 0 ? 0 : (bytesRead + bytesWritten) * 1e3 / elapsedNanos;
    }

    /** Whether the run found no error and no verify failure. */
    public boolean clean() {
        return errors == 0 && verifyFailures == 0;
    }

    @Override
    public long[] latency() {
        return latency.clone();
    }
}
