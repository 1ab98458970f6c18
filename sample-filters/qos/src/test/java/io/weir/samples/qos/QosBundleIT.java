package io.weir.samples.qos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.weir.certification.BundleFacts;
import io.weir.trust.DevelopmentPki;
import io.weir.trust.ReasonCode;
import io.weir.trust.Verdict;

/** Checks the signed bundle the build produced: what an OSGi framework and the Weir runtime will read from it. */
class QosBundleIT {
    private static Path property(String name) {
        String path = System.getProperty(name);
        assertNotNull(path, "system property " + name + " is set by the build; run through mvn verify");
        return Path.of(path);
    }

    private static Path bundle() {
        return property("weir.bundle");
    }

    @Test
    void theBundleDeclaresOneQosFilterImportsOnlyTheFilterApiAndExportsNothing() throws IOException {
        BundleFacts facts = BundleFacts.read(bundle());
        assertEquals("weir-sample-qos", facts.symbolicName());
        assertEquals(List.of("QOS"), facts.declaredClasses());
        assertEquals(List.of(new BundleFacts.FilterComponent("io.weir.samples.qos.QosFilterFactory", "qos", "QOS")),
                facts.filters());
        assertEquals(List.of("io.weir.filter"), facts.frameworkImports());
        assertEquals(List.of(), facts.exports());
    }

    @Test
    void theMetatypeDeclaresEverySettingKey() throws IOException {
        assertEquals(List.of("qos.reservation.iops", "qos.limit.iops", "qos.limit.bytesPerSecond", "qos.shares",
                "qos.burst", "qos.burst.bytes", "qos.group", "qos.group.iops", "qos.group.depth"),
                BundleFacts.read(bundle()).settings().get("io.weir.samples.qos.QosFilterFactory"));
    }

    @Test
    void theVendorSignedBundlePassesTheRuntimesVerifier() throws Exception {
        Verdict verdict = DevelopmentPki.verifier(property("weir.devpki.dir")).verify(bundle());
        assertTrue(verdict.accepted(), verdict.reasons().toString());
    }

    @Test
    void aPartnerSignedCopyIsRefusedBecauseQosIsVendorOnly() throws Exception {
        Verdict verdict = DevelopmentPki.verifyAsPartner(property("weir.devpki.dir"), bundle());
        assertFalse(verdict.accepted());
        assertTrue(verdict.has(ReasonCode.VENDOR_ONLY), verdict.reasons().toString());
    }
}
