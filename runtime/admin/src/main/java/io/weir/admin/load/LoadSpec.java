package io.weir.admin.load;

import java.util.Locale;

/**
 * What a load run does.
 *
 * @param pattern       where requests go: uniformly random units, or consecutive units wrapping at the end
 * @param readPercent   share of reads, 0-100
 * @param blockSize     bytes per request: a multiple of the disk's logical block size
 * @param queueDepth    requests kept in flight, 1-{@value #MAX_QUEUE_DEPTH}
 * @param durationNanos run this long (then drain), or 0 when {@code totalBytes} bounds the run
 * @param totalBytes    transfer this many bytes (rounded up to whole requests), or 0 when the duration does
 * @param regionOffset  where the region starts on the disk (aligned to its logical block size)
 * @param regionLength  the region's length, or 0 for the rest of the disk
 * @param verify        write self-describing data and check every byte read back (see {@link LoadGenerator})
 * @param seed          seeds the data and the request sequence; the same seed repeats the same run
 */
public record LoadSpec(Pattern pattern, int readPercent, int blockSize, int queueDepth, long durationNanos,
                       long totalBytes, long regionOffset, long regionLength, boolean verify, long seed) {

    /** Upper bound of the queue depth. */
    public static final int MAX_QUEUE_DEPTH = 1024;
    /** Upper bound of queue depth x block size: the buffers a run holds. */
    public static final long MAX_BUFFER_BYTES = 1L << 30;

    /** Request placement. */
    public enum Pattern {
        RANDOM, SEQUENTIAL;

        /** Parse {@code random} or {@code sequential} (any case). */
        public static Pattern parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("pattern must be random or sequential, got '" + s + "'");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Checks that do not need the disk. */
    public LoadSpec {
        if (pattern == null) {
            throw new IllegalArgumentException("pattern must be random or sequential");
        }
        if (readPercent < 0 || readPercent > 100) {
            throw new IllegalArgumentException("read percentage must be between 0 and 100, got " + readPercent);
        }
        if (blockSize <= 0) {
            throw new IllegalArgumentException("block size must be positive, got " + blockSize);
        }
        if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH) {
            throw new IllegalArgumentException("queue depth must be between 1 and " + MAX_QUEUE_DEPTH + ", got " + queueDepth);
        }
        if (durationNanos < 0 || totalBytes < 0 || (durationNanos == 0) == (totalBytes == 0)) {
            throw new IllegalArgumentException("give either a positive duration or a positive byte count, not both");
        }
        if (regionOffset < 0 || regionLength < 0) {
            throw new IllegalArgumentException("region offset and length must not be negative");
        }
        if ((long) queueDepth * blockSize > MAX_BUFFER_BYTES) {
            throw new IllegalArgumentException("queue depth " + queueDepth + " x block size " + blockSize
                    + " needs more than " + (MAX_BUFFER_BYTES >> 20) + " MiB of buffers; lower one of them");
        }
    }
}
