package io.weir.certification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleFactsTest {
    @TempDir
    Path dir;

    private Path jar(Map<String, String> headers, Map<String, String> entries) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(a::putValue);
        Path jar = dir.resolve("b.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                j.putNextEntry(new JarEntry(e.getKey()));
                j.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
        }
        return jar;
    }

    private static String component(String name, String provides, String filterName, String filterClass) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + name + "\">\n"
                + "  <property name=\"weir.filterName\" type=\"String\" value=\"" + filterName + "\"/>\n"
                + "  <property name=\"weir.filterClass\" type=\"String\" value=\"" + filterClass + "\"/>\n"
                + "  <service><provide interface=\"" + provides + "\"/></service>\n"
                + "  <implementation class=\"" + name + "\"/>\n"
                + "</scr:component>\n";
    }

    @Test
    void readsNameVersionClassesPackagesAndFilterFactoriesAsTheRuntimeWill() throws IOException {
        Path jar = jar(Map.of("Bundle-SymbolicName", "com.acme.cache;singleton:=true", "Bundle-Version", "1.2.3",
                        "Weir-Filter-Classes", "CACHE, REPLICATION",
                        "Import-Package", "io.weir.filter;version=\"[1.1,2)\",java.nio.file,org.osgi.service.component",
                        "Service-Component", "OSGI-INF/a.xml,OSGI-INF/b.xml"),
                Map.of("OSGI-INF/a.xml", component("com.acme.Cache", "io.weir.filter.FilterFactory", "acme-cache", "CACHE"),
                        "OSGI-INF/b.xml", component("com.acme.Other", "java.lang.Runnable", "x", "y"),
                        "OSGI-INF/metatype/com.acme.Settings.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                + "<metatype:MetaData xmlns:metatype=\"http://www.osgi.org/xmlns/metatype/v1.2.0\">\n"
                                + "  <OCD id=\"com.acme.Settings\" name=\"s\"><AD id=\"cache.size\" type=\"Long\"/>"
                                + "<AD id=\"cache.mode\" type=\"String\"/></OCD>\n"
                                + "  <Designate pid=\"com.acme.Cache\"><Object ocdref=\"com.acme.Settings\"/></Designate>\n"
                                + "</metatype:MetaData>\n"));
        BundleFacts facts = BundleFacts.read(jar);
        assertEquals("com.acme.cache", facts.symbolicName());
        assertEquals("1.2.3", facts.version());
        assertEquals(List.of("CACHE", "REPLICATION"), facts.declaredClasses());
        assertEquals(List.of("io.weir.filter", "java.nio.file", "org.osgi.service.component"), facts.imports());
        assertEquals(List.of("io.weir.filter", "org.osgi.service.component"), facts.frameworkImports());
        assertEquals(List.of(), facts.exports());
        assertEquals(List.of(new BundleFacts.FilterComponent("com.acme.Cache", "acme-cache", "CACHE")), facts.filters());
        assertEquals(Map.of("com.acme.Cache", List.of("cache.size", "cache.mode")), facts.settings());
    }

    @Test
    void aComponentDescriptionTheManifestNamesButTheJarLacksIsAnError() throws IOException {
        Path jar = jar(Map.of("Bundle-SymbolicName", "x", "Service-Component", "OSGI-INF/missing.xml"), Map.of());
        IOException e = assertThrows(IOException.class, () -> BundleFacts.read(jar));
        assertTrue(e.getMessage().contains("OSGI-INF/missing.xml"), e.getMessage());
    }
}
