package io.weir.vscsi;

import java.util.Optional;

/**
 * What an upgrade did to one disk: the filter's instance moved from one providing bundle to another by a live
 * swap, or stayed where it was and why.
 *
 * @param diskId     the disk
 * @param filterName the filter upgraded
 * @param from       symbolic name and version of the bundle whose instance served before
 * @param to         symbolic name and version of the bundle the disk was to move to
 * @param swap       how the live swap went, when the disk was live and moved
 * @param failure    why the disk did not move (it keeps the old instance), empty when it moved
 */
public record FilterMove(String diskId, String filterName, String from, String to, Optional<SwapReport> swap,
                         String failure) {
    public FilterMove {
        failure = failure == null ? "" : failure;
    }

    /** Whether the disk now runs the new version (live, or at its next open when it was not live). */
    public boolean moved() {
        return failure.isEmpty();
    }
}
