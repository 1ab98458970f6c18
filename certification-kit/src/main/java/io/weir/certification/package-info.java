/**
 * The certification kit's engine: runs a candidate filter against disks the kit controls and decides whether
 * the runtime may enable it (DESIGN.md section 8).
 *
 * <p>{@link io.weir.certification.Certifier} hosts the {@link io.weir.certification.Candidate} between probe
 * filters of the other classes on standalone disks over memory backends with fault, latency and power-loss
 * injection, runs every check of {@link io.weir.certification.Certifier#checkIds()} and returns a
 * {@link io.weir.certification.Report}; {@link io.weir.certification.ReportWriter} writes it as JSON, JUnit XML
 * and HTML.
 */
@Export
@Version("1.1.0")
package io.weir.certification;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
