/**
 * Weir's trust: the vendor PKI ({@link io.weir.trust.Pki}: root CA, vendor and partner signing certificates carrying
 * the filter-class {@link io.weir.trust.Entitlement}, CRLs), JAR signing ({@link io.weir.trust.BundleSigner}) and the
 * verification of signed filter bundles before the runtime installs them ({@link io.weir.trust.BundleVerifier},
 * which returns a {@link io.weir.trust.Verdict} listing every {@link io.weir.trust.Reason} to refuse).
 *
 * <p>Works on the plain class path and as an OSGi bundle: no static mutable state, and BouncyCastle is used through
 * provider instances held by the objects that need them, never registered with {@code java.security.Security}.
 */
@Export
@Version("1.0.0")
package io.weir.trust;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
