package io.weir.codecheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;

import io.weir.filter.FilterClass;

import org.junit.jupiter.api.Test;

class PartnerPolicyTest {

    private static PartnerPolicy policy(FilterClass... classes) {
        return PartnerPolicy.forClasses(classes.length == 0 ? Set.of() : EnumSet.of(classes[0], classes));
    }

    @Test
    void everyClassMayImportTheFilterApiAndTheDeclarativeServicesApi() {
        for (FilterClass c : FilterClass.values()) {
            PartnerPolicy p = policy(c);
            assertTrue(p.mayImport("io.weir.filter"), c::toString);
            assertTrue(p.mayImport("org.osgi.service.component"), c::toString);
            assertTrue(p.mayImport("java.util.concurrent.atomic"), c::toString);
        }
    }

    @Test
    void runtimeInternalsTheFrameworkApiAndFelixAreNeverImportable() {
        PartnerPolicy all = PartnerPolicy.forClasses(EnumSet.allOf(FilterClass.class));
        for (String pkg : new String[] {"io.weir.vscsi", "io.weir.core", "io.weir.filter.impl", "io.weir",
                "org.osgi.framework", "org.osgi.framework.wiring", "org.apache.felix.scr", "sun.misc",
                "jdk.internal.misc", "com.sun.net.httpserver", "java.lang.instrument", "javax.script"}) {
            assertFalse(all.mayImport(pkg), pkg);
        }
    }

    @Test
    void networkPackagesAreImportableOnlyForReplication() {
        for (FilterClass c : FilterClass.values()) {
            assertEquals(c == FilterClass.REPLICATION, policy(c).mayImport("javax.net.ssl"), c::toString);
            assertEquals(c == FilterClass.REPLICATION, policy(c).mayImport("java.net.http"), c::toString);
            assertEquals(c == FilterClass.REPLICATION, policy(c).networkAllowed(), c::toString);
        }
    }

    @Test
    void cryptoPackagesAreImportableForEncryptionAndReplicationOnly() {
        for (FilterClass c : FilterClass.values()) {
            boolean expected = c == FilterClass.ENCRYPTION || c == FilterClass.REPLICATION;
            assertEquals(expected, policy(c).mayImport("javax.crypto"), c::toString);
            assertEquals(expected, policy(c).mayImport("javax.crypto.spec"), c::toString);
        }
    }

    @Test
    void fileSystemIsAllowedForCacheAndReplicationOnly() {
        for (FilterClass c : FilterClass.values()) {
            boolean expected = c == FilterClass.CACHE || c == FilterClass.REPLICATION;
            assertEquals(expected, policy(c).mayImport("java.nio.file"), c::toString);
            assertEquals(expected, policy(c).fileSystemAllowed(), c::toString);
        }
    }

    @Test
    void aBundleOfSeveralClassesGetsTheUnionOfTheirAllowances() {
        PartnerPolicy p = policy(FilterClass.ENCRYPTION, FilterClass.CACHE);
        assertTrue(p.mayImport("javax.crypto"));
        assertTrue(p.mayImport("java.nio.file"));
        assertFalse(p.mayImport("javax.net.ssl"));
        assertTrue(p.fileSystemAllowed());
        assertFalse(p.networkAllowed());
    }

    @Test
    void noClassesGivesTheBasePolicyOnly() {
        PartnerPolicy base = policy();
        assertEquals(PartnerPolicy.BASE_PACKAGES, base.importablePackages());
        assertFalse(base.networkAllowed());
        assertFalse(base.fileSystemAllowed());
    }

    @Test
    void importablePackagesAgreesWithMayImportAndCannotBeModified() {
        PartnerPolicy p = policy(FilterClass.REPLICATION);
        for (String pkg : p.importablePackages()) {
            assertTrue(p.mayImport(pkg), pkg);
        }
        assertThrows(UnsupportedOperationException.class, () -> p.importablePackages().add("io.weir.vscsi"));
        assertFalse(p.mayImport("io.weir.vscsi"));
    }

    @Test
    void describeListsTheImportablePackagesAndWhatIsRefused() {
        String cache = policy(FilterClass.CACHE).describe();
        for (String pkg : policy(FilterClass.CACHE).importablePackages()) {
            assertTrue(cache.contains("  " + pkg + "\n"), pkg);
        }
        assertTrue(cache.contains("[CACHE]"), cache);
        assertTrue(cache.contains("Network: refused"), cache);
        assertTrue(cache.contains("File system: allowed"), cache);
        assertTrue(cache.contains("PROCESS_EXIT"), cache);
        assertFalse(cache.contains("javax.net.ssl"), cache);
    }
}
