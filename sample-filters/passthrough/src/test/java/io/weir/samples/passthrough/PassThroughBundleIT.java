package io.weir.samples.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;

/** Checks the bundle bnd built: what an OSGi framework and the Weir runtime will read from it. */
class PassThroughBundleIT {
    private static final String COMPONENT_XML =
            "OSGI-INF/io.weir.samples.passthrough.PassThroughFilterFactory.xml";

    private static JarFile bundle() throws IOException {
        String path = System.getProperty("weir.bundle");
        assertNotNull(path, "system property weir.bundle names the built bundle; run through mvn verify");
        return new JarFile(path);
    }

    @Test
    void bndDeclaresTheComponentAsThePassthroughInspectionFilter() throws IOException {
        try (JarFile jar = bundle()) {
            ZipEntry entry = jar.getEntry(COMPONENT_XML);
            assertNotNull(entry, "bnd wrote no component description");
            String xml;
            try (InputStream in = jar.getInputStream(entry)) {
                xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertTrue(xml.contains("<provide interface=\"io.weir.filter.FilterFactory\"/>"), xml);
            assertTrue(xml.contains("<property name=\"weir.filterName\" type=\"String\" value=\"passthrough\"/>"), xml);
            assertTrue(xml.contains("<property name=\"weir.filterClass\" type=\"String\" value=\"INSPECTION\"/>"), xml);
            assertEquals(COMPONENT_XML, jar.getManifest().getMainAttributes().getValue("Service-Component"));
        }
    }

    @Test
    void theBundleImportsOnlyTheFilterApiAndExportsNothing() throws IOException {
        try (JarFile jar = bundle()) {
            Attributes main = jar.getManifest().getMainAttributes();
            List<String> imports = packageNames(main.getValue("Import-Package")).stream()
                    .filter(p -> !p.startsWith("java."))
                    .toList();
            assertEquals(List.of("io.weir.filter"), imports, main.getValue("Import-Package"));
            assertEquals(null, main.getValue("Export-Package"));
            assertEquals("weir-sample-passthrough", main.getValue("Bundle-SymbolicName"));
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
