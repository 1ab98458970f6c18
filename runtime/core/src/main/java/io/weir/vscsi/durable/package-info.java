/**
 * Crash-safe file replacement shared by the runtime's stores (the disk catalog, sidecars, the deployed-bundle
 * registry): {@link io.weir.vscsi.durable.AtomicFiles}. Runtime-internal API: partner bundles never wire to it.
 */
@Export
@Version("1.0.0")
package io.weir.vscsi.durable;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
