package io.weir.vscsi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The catalog of virtual disks and the filters available to them. Every change to the catalog is written
 * atomically and durably before the method returns, so the catalog survives restarts and crashes.
 */
@ProviderType
public interface DiskService {
    /** Define and open a new disk. */
    DiskInfo create(DiskSpec spec) throws DiskException;

    /** All disks, sorted by id. */
    List<DiskInfo> list();

    /** One disk's information. */
    DiskInfo info(String id) throws DiskException;

    /** The open disk with this id, if it is serving. */
    Optional<VirtualDisk> disk(String id);

    /** Grow a disk; filters may refuse. Shrinking is refused. */
    DiskInfo grow(String id, long newCapacity) throws DiskException;

    /** Close a disk, remove it from the catalog and destroy its backend storage. */
    void delete(String id) throws DiskException;

    /** Attach a filter (by name) to a disk; on a live disk this stuns it briefly. */
    DiskInfo attachFilter(String id, String filterName, Map<String, Object> config) throws DiskException;

    /**
     * Give a filter on a disk new settings. On a live disk a new instance with the settings replaces the old one
     * through a live swap (the old hands its state over; a refusal keeps the old instance and settings).
     *
     * @return the disk, and how the swap went when the disk is live
     */
    Reconfigured reconfigureFilter(String id, String filterName, Map<String, Object> config) throws DiskException;

    /** The result of {@link #reconfigureFilter}: the disk, and the swap report when the disk was live. */
    record Reconfigured(DiskInfo disk, Optional<SwapReport> swap) {
    }

    /** Detach a filter from a disk; on a live disk this stuns it briefly. Same as {@code detachFilter(id, filterName, false)}. */
    default DiskInfo detachFilter(String id, String filterName) throws DiskException {
        return detachFilter(id, filterName, false);
    }

    /**
     * Detach a filter from a disk; on a live disk this stuns it briefly. The filter's sidecar goes with it. A filter
     * that changes how data is stored (ENCRYPTION, COMPRESSION, or one whose class is unknown because it is not
     * installed and that keeps a sidecar) cannot leave a disk that holds data unless {@code eraseData}: the guest
     * would read what the filter stored, and its keys or maps would be gone, so the data is lost.
     *
     * @throws DiskException REFUSED when the data would be lost and {@code eraseData} is false
     */
    DiskInfo detachFilter(String id, String filterName, boolean eraseData) throws DiskException;

    /**
     * Move every disk that uses {@code filterName} onto the newest installed version of it (highest bundle
     * version, then the latest installed), one disk at a time. On a live disk the new version's instance replaces
     * the old one through a live swap; when the new instance refuses, the handoff fails or a deadline passes, that
     * disk keeps its old instance and the move reports why; other disks carry on. {@code progress} hears of each
     * disk as it is done.
     *
     * @return one move per disk that used an older version, in disk order
     * @throws DiskException NOT_FOUND when no filter of that name is installed
     */
    List<FilterMove> upgradeFilter(String filterName, java.util.function.Consumer<FilterMove> progress)
            throws DiskException;

    /**
     * Filter factories currently registered, sorted by class order, name, then newest version first. While an
     * upgrade is under way two versions of one filter may be listed, each with the disks its instances serve.
     */
    List<FilterInfo> filters();
}
