package io.weir.samples.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;

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
            Attributes main = jar.getManifest().getMainAttributes();
            List<String> imports = packageNames(main.getValue("Import-Package")).stream()
                    .filter(p -> !p.startsWith("java."))
                    .toList();
            assertEquals(List.of("io.weir.filter", "javax.net.ssl"), imports, main.getValue("Import-Package"));
            assertNull(main.getValue("Export-Package"));
            assertEquals("weir-sample-replication", main.getValue("Bundle-SymbolicName"));
            for (JarEntry e : jar.stream().toList()) {
                if (e.isDirectory() || e.getName().startsWith("META-INF/")) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    in.readAllBytes();
                }
                assertNotNull(e.getCodeSigners(), e.getName() + " is not signed");
            }
            assertTrue(Set.of(jar.getManifest().getEntries().keySet().toArray()).size() > 0);
        }
    }

    /** The package names of a manifest package clause, skipping commas inside quoted attribute values. */
    private static List<String> packageNames(String header) {
        List<String> names = new ArrayList<>();
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (char c : (header + ",").toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                names.add(clause.toString().split(";")[0].trim());
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        return names;
    }
}
