/**
 * Standalone virtual disks assembled from a backend and filter factories without OSGi or a catalog: what
 * tests, benchmarks and the certification kit use to host filters over disks they control.
 */
@Export
@Version("1.1.0")
package io.weir.vscsi.standalone;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
