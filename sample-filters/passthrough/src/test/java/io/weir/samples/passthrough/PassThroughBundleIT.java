package io.weir.samples.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.weir.certification.BundleFacts;
import io.weir.trust.DevelopmentPki;
import io.weir.trust.Verdict;

/** Checks the bundle bnd built and the build signed: what an OSGi framework and the Weir runtime will read from it. */
class PassThroughBundleIT {
    private static Path property(String name) {
        String path = System.getProperty(name);
        assertNotNull(path, "system property " + name + " is set by the build; run through mvn verify");
        return Path.of(path);
    }

    @Test
    void theBundleDeclaresThePassthroughInspectionFilterImportsOnlyTheFilterApiAndExportsNothing() throws IOException {
        BundleFacts facts = BundleFacts.read(property("weir.bundle"));
        assertEquals("weir-sample-passthrough", facts.symbolicName());
        assertEquals(List.of("INSPECTION"), facts.declaredClasses());
        assertEquals(List.of(new BundleFacts.FilterComponent("io.weir.samples.passthrough.PassThroughFilterFactory",
                "passthrough", "INSPECTION")), facts.filters());
        assertEquals(List.of("io.weir.filter"), facts.frameworkImports());
        assertEquals(List.of(), facts.exports());
    }

    @Test
    void theSignedBundlePassesTheRuntimesVerifier() throws Exception {
        Verdict verdict = DevelopmentPki.verifier(property("weir.devpki.dir")).verify(property("weir.bundle"));
        assertTrue(verdict.accepted(), verdict.reasons().toString());
    }
}
