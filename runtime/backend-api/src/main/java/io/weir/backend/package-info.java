/**
 * The storage backend SPI: a {@link io.weir.backend.BackendProvider} service per backend type opens one
 * {@link io.weir.backend.Backend} per virtual disk. Backends reuse the request, status and callback types of
 * the filter API, so the filter stack never knows which backend is below it.
 */
@Export
@Version("1.2.0")
package io.weir.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
