package io.weir.samples.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;

import io.weir.certification.BundleFacts;

/** Checks the signed bundle the build produced: what an OSGi framework and the Weir runtime will read from it. */
class ReplicationBundleIT {
    private static final String FILTER_XML = "OSGI-INF/io.weir.samples.replication.ReplicationFilterFactory.xml";
    private static final String RECEIVER_XML = "OSGI-INF/io.weir.samples.replication.ReceiverComponent.xml";
    private static final String FILTER_METATYPE =
            "OSGI-INF/metatype/io.weir.samples.replication.ReplicationSettings.xml";

    private static JarFile bundle() throws IOException {
        String path = System.getProperty("weir.bundle");
        assertNotNull(path, "system property weir.bundle names the built bundle; run through mvn verify");
        return new JarFile(path, true);
    }

    private static String text(JarFile jar, String name) throws IOException {
        ZipEntry entry = jar.getEntry(name);
        assertNotNull(entry, "the bundle has no " + name);
        try (InputStream in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void bndDeclaresTheFilterOfClassReplicationAndTheReceiverUnderItsConfigurationPid() throws IOException {
        try (JarFile jar = bundle()) {
            String filter = text(jar, FILTER_XML);
            assertTrue(filter.contains("<provide interface=\"io.weir.filter.FilterFactory\"/>"), filter);
            assertTrue(filter.contains("<property name=\"weir.filterName\" type=\"String\" value=\"replication\"/>"),
                    filter);
            assertTrue(filter.contains("<property name=\"weir.filterClass\" type=\"String\" value=\"REPLICATION\"/>"),
                    filter);
            String receiver = text(jar, RECEIVER_XML);
            assertTrue(receiver.contains("configuration-pid=\"" + ReceiverComponent.PID + "\""), receiver);
            assertTrue(receiver.contains("configuration-policy=\"require\""), receiver);
            assertEquals("REPLICATION", jar.getManifest().getMainAttributes().getValue("Weir-Filter-Classes"));
        }
    }

    @Test
    void theMetatypeDeclaresEverySettingKey() throws IOException {
        try (JarFile jar = bundle()) {
            String xml = text(jar, FILTER_METATYPE);
            for (String key : List.of("replication.target", "replication.mode", "replication.keystore",
                    "replication.keystore.passwordFile", "replication.trust", "replication.tls.verifyHostname",
                    "replication.buffer.bytes", "replication.region.bytes", "replication.sync.timeout.ms",
                    "replication.sync.onFailure", "replication.backpressure.ms", "replication.reconnect.ms",
                    "replication.bitmap.clear.ms")) {
                assertTrue(xml.contains("id=\"" + key + "\""), "no attribute " + key + " in " + xml);
            }
        }
    }

    @Test
    void theBundleImportsOnlyTheFilterApiAndPartnerAllowedJdkPackagesExportsNothingAndIsSigned() throws IOException {
        try (JarFile jar = bundle()) {
            BundleFacts facts = BundleFacts.read(Path.of(jar.getName()));
            assertEquals(List.of("io.weir.filter", "javax.net.ssl"), facts.frameworkImports(), facts.imports().toString());
            assertNull(jar.getManifest().getMainAttributes().getValue("Export-Package"));
            assertEquals("weir-sample-replication", facts.symbolicName());
            for (JarEntry e : jar.stream().toList()) {
                if (e.isDirectory() || e.getName().startsWith("META-INF/")) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    in.readAllBytes();
                }
                assertNotNull(e.getCodeSigners(), e.getName() + " is not signed");
            }
            assertFalse(jar.getManifest().getEntries().isEmpty(), "the manifest lists no signed entries");
        }
    }
}
