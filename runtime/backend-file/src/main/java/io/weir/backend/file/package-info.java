/**
 * The {@code file} storage backend: one sparse file per disk with positional I/O on the backend's own threads.
 * Private to its bundle; the runtime reaches it only through the {@link io.weir.backend.BackendProvider}
 * service.
 */
package io.weir.backend.file;
