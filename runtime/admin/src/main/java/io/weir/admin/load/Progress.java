package io.weir.admin.load;

/**
 * A progress report, sent about once a second while a run lasts.
 *
 * @param elapsedNanos   since the run started
 * @param ops            requests completed so far
 * @param bytes          bytes transferred so far
 * @param iops           requests per second over the last interval
 * @param megabytesPerSecond MB (10^6 bytes) per second over the last interval
 * @param errors         errors so far
 * @param verifyFailures verify failures so far
 */
public record Progress(long elapsedNanos, long ops, long bytes, double iops, double megabytesPerSecond,
                       long errors, long verifyFailures) {

    /** Receives progress reports on the run's driver thread; throwing cancels the run. */
    @FunctionalInterface
    public interface Listener {
        void progress(Progress progress) throws Exception;
    }
}
