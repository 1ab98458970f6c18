package io.weir.samples.qos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;

/** Checks the signed bundle the build produced: what an OSGi framework and the Weir runtime will read from it. */
class QosBundleIT {
    private static final String COMPONENT_XML = "OSGI-INF/io.weir.samples.qos.QosFilterFactory.xml";
    private static final String METATYPE_XML = "OSGI-INF/metatype/io.weir.samples.qos.QosSettings.xml";

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
    void bndDeclaresTheComponentAsTheQosFilterOfClassQos() throws IOException {
        try (JarFile jar = bundle()) {
            String xml = text(jar, COMPONENT_XML);
            assertTrue(xml.contains("<provide interface=\"io.weir.filter.FilterFactory\"/>"), xml);
            assertTrue(xml.contains("<property name=\"weir.filterName\" type=\"String\" value=\"qos\"/>"), xml);
            assertTrue(xml.contains("<property name=\"weir.filterClass\" type=\"String\" value=\"QOS\"/>"), xml);
            assertEquals("QOS", jar.getManifest().getMainAttributes().getValue("Weir-Filter-Classes"));
        }
    }

    @Test
    void theMetatypeDeclaresEverySettingKey() throws IOException {
        try (JarFile jar = bundle()) {
            String xml = text(jar, METATYPE_XML);
            for (String key : List.of("qos.reservation.iops", "qos.limit.iops", "qos.limit.bytesPerSecond",
                    "qos.shares", "qos.burst", "qos.burst.bytes", "qos.group", "qos.group.iops", "qos.group.depth")) {
                assertTrue(xml.contains("id=\"" + key + "\""), "no attribute " + key + " in " + xml);
            }
            assertTrue(xml.contains("pid=\"io.weir.samples.qos.QosFilterFactory\""), xml);
        }
    }

    @Test
    void theBundleImportsOnlyTheFilterApiExportsNothingAndEveryEntryIsSigned() throws IOException {
        try (JarFile jar = bundle()) {
            Attributes main = jar.getManifest().getMainAttributes();
            List<String> imports = packageNames(main.getValue("Import-Package")).stream()
                    .filter(p -> !p.startsWith("java."))
                    .toList();
            assertEquals(List.of("io.weir.filter"), imports, main.getValue("Import-Package"));
            assertNull(main.getValue("Export-Package"));
            assertEquals("weir-sample-qos", main.getValue("Bundle-SymbolicName"));
            for (JarEntry e : jar.stream().toList()) {
                if (e.isDirectory() || e.getName().startsWith("META-INF/")) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    in.readAllBytes();
                }
                assertNotNull(e.getCodeSigners(), e.getName() + " is not signed");
            }
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
