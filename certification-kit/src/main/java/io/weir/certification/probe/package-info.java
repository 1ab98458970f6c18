/**
 * Probe filters: pass-through filters of every {@link io.weir.filter.FilterClass} that record, into a shared
 * {@link io.weir.certification.probe.ProbeRecorder}, what the runtime asked of them and in which order.
 * Certification and integration tests put probes around (or in place of) a candidate filter to check class
 * order, completion order, error propagation and control-event order with rollback.
 *
 * <p>In OSGi the kit bundle registers one {@code ProbeRecorder} service and one probe
 * {@link io.weir.filter.FilterFactory} per class, named {@code probe-inspection} ... {@code probe-qos}
 * (each also registered as {@link io.weir.certification.probe.ProbeFilterFactory}). Outside OSGi, construct
 * a {@code ProbeRecorder} and {@code ProbeFilterFactory} instances directly.
 */
@Export
@Version("1.0.0")
package io.weir.certification.probe;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
