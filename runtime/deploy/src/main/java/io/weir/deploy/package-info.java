/**
 * Filter bundle deployment: {@link io.weir.deploy.FilterBundles} is the one pipeline every filter bundle
 * passes through before it reaches the OSGi framework, whether it comes from {@code weir filter deploy},
 * the watched deploy directory or the registry re-verified at start. The pipeline, in order: copy the
 * bytes into the runtime's store (what is verified is what is installed), verify the JAR signature against
 * the operator's trust roots and CRLs, check the declared filter classes against the signer's entitlement,
 * check partner code (packages it wires to, JDK APIs it calls), then install and start. A refused bundle is
 * never installed; its verdict names every reason.
 */
@Export
@Version("1.2.0")
package io.weir.deploy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
