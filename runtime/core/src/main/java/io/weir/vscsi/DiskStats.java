package io.weir.vscsi;

/**
 * Counters of one disk since it was opened.
 *
 * @param completed requests completed successfully
 * @param failed    requests completed with an error
 * @param rejected  requests refused by validation before reaching any filter
 * @param inFlight  requests admitted and not yet completed
 * @param parked    requests parked while stunned or waiting for a queue slot
 * @param bytesRead    bytes read successfully
 * @param bytesWritten bytes written successfully
 */
public record DiskStats(long completed, long failed, long rejected, int inFlight, int parked,
                        long bytesRead, long bytesWritten) {
}
