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

    /** Detach a filter from a disk; on a live disk this stuns it briefly. */
    DiskInfo detachFilter(String id, String filterName) throws DiskException;

    /** Filter factories currently registered, sorted by class order then name. */
    List<FilterInfo> filters();
}
