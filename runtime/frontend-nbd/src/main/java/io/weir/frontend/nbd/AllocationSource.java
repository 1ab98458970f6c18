package io.weir.frontend.nbd;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.weir.vscsi.VirtualDisk;

/**
 * Where the answers to {@code NBD_CMD_BLOCK_STATUS} for the {@code base:allocation} meta context come from.
 *
 * <p>The vSCSI core has no allocation query, and the filters of a disk may change what "allocated" means (an
 * encrypting filter turns every zero block into ciphertext), so the only honest answer today is
 * {@link #ALL_DATA}: every range is allocated data whose contents are not known to be zero, which the protocol
 * explicitly allows a server to report for any block. A source that really knows (a backend's SEEK_HOLE, a
 * thin-provisioning map, with filters that preserve holes) plugs in here without touching the connection.
 *
 * <p>The connection validates what a source answers before any of it reaches the client: at least one extent,
 * none empty, each a multiple of the disk's block size; it clips the extents to the request (to the first one
 * with {@code NBD_CMD_FLAG_REQ_ONE}) and never reports beyond the end of the disk. A source that breaks these
 * rules gets its request answered with EIO, naming the rule.
 */
interface AllocationSource {
    /**
     * One run of bytes with the same status.
     *
     * @param length bytes in the run, positive
     * @param hole   not allocated in the backing storage (writing there may fail with ENOSPC)
     * @param zero   known to read as all zeroes
     */
    record Extent(long length, boolean hole, boolean zero) {
        /** An allocated run whose contents are not known: the answer that is always correct. */
        static Extent data(long length) {
            return new Extent(length, false, false);
        }

        /** The {@code base:allocation} status flags of this run. */
        int flags() {
            return (hole ? Nbd.STATE_HOLE : 0) | (zero ? Nbd.STATE_ZERO : 0);
        }
    }

    /**
     * The status of the bytes from {@code offset} on, consecutive extents starting at {@code offset}; they may
     * cover less or more than {@code length}. Called on the connection's reader thread: a source that must do
     * I/O completes the stage later from another thread rather than block. {@code offset} and {@code length} are
     * already checked: aligned to the block size, positive length, within the disk.
     */
    CompletionStage<List<Extent>> extents(VirtualDisk disk, long offset, long length);

    /** Everything is allocated data (status flags 0): conservative and always correct. */
    AllocationSource ALL_DATA = (disk, offset, length) -> CompletableFuture.completedFuture(
            List.of(Extent.data(length)));
}
