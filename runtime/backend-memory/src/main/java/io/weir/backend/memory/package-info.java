/**
 * An in-memory storage backend: {@link io.weir.backend.memory.MemoryBackend} keeps a disk's contents in
 * sparse pages, either durable or behind a simulated volatile write cache that loses unflushed writes on a
 * simulated power loss, with fault and latency injection. Tests, benchmarks and the certification kit
 * construct it directly; the runtime reaches it through the {@code memory} backend provider.
 */
@Export
@Version("1.0.0")
package io.weir.backend.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
