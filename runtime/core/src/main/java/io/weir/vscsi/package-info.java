/**
 * The vSCSI core as front ends and tools see it: virtual disks, their catalog, and the entry point of the
 * data path. {@link io.weir.vscsi.DiskService} is the one service; each {@link io.weir.vscsi.VirtualDisk}
 * validates and tracks every request before its filter stack sees it.
 */
@Export
@Version("1.3.0")
package io.weir.vscsi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
