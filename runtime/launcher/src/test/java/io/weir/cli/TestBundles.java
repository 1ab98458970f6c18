package io.weir.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import io.weir.filter.FilterFactory;

/**
 * Builds filter bundles the way a partner's build would (a DS component implementing {@link FilterFactory},
 * its component XML, an OSGi manifest declaring {@code Weir-Filter-Classes}), compiling the source with the JDK's
 * compiler against the filter API. Unsigned: sign them with the trust module's signer.
 */
final class TestBundles {
    /** What to build. */
    static final class Spec {
        final String symbolicName;
        String declaredClasses = "CACHE";
        String filterName;
        String registeredClass = "CACHE";
        String importPackage = "io.weir.filter;version=\"[1.0,2)\"";
        /** Statements run in {@code create(FilterContext context)} before it returns the filter. */
        String createBody = "";
        /** The filter {@code create} returns: a lambda of {@code Filter}; a pass-through unless told otherwise. */
        String filter = "(request, chain) -> chain.pass()";
        String version = "1.0.0";

        Spec(String symbolicName) {
            this.symbolicName = symbolicName;
            this.filterName = symbolicName;
        }

        Spec declares(String classes) {
            this.declaredClasses = classes;
            return this;
        }

        Spec registers(String filterClass) {
            this.registeredClass = filterClass;
            return this;
        }

        Spec imports(String header) {
            this.importPackage = header;
            return this;
        }

        Spec onCreate(String statements) {
            this.createBody = statements;
            return this;
        }

        Spec filter(String lambda) {
            this.filter = lambda;
            return this;
        }

        Spec version(String bundleVersion) {
            this.version = bundleVersion;
            return this;
        }
    }

    private TestBundles() {
    }

    static Path build(Path dir, Spec spec) throws IOException {
        String pkg = "com.acme." + spec.symbolicName.replaceAll("[^a-z0-9]", "");
        String cls = pkg + ".Factory";
        String source = "package " + pkg + ";\n"
                + "import io.weir.filter.*;\n"
                + "public final class Factory implements FilterFactory {\n"
                + "    @Override public Filter create(FilterContext context) {\n"
                + "        " + spec.createBody + "\n"
                + "        return " + spec.filter + ";\n"
                + "    }\n"
                + "}\n";
        Path work = Files.createTempDirectory(dir, "src-");
        Path src = work.resolve("Factory.java");
        Files.writeString(src, source);
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "17", "-cp", filterApiJar(), "-d", classes.toString(),
                src.toString());
        if (rc != 0) {
            throw new IOException("the test filter source does not compile:\n" + source);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        String xml = "OSGI-INF/" + cls + ".xml";
        entries.put(xml, ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + cls + "\">\n"
                + "  <property name=\"weir.filterName\" type=\"String\" value=\"" + spec.filterName + "\"/>\n"
                + "  <property name=\"weir.filterClass\" type=\"String\" value=\"" + spec.registeredClass + "\"/>\n"
                + "  <service><provide interface=\"io.weir.filter.FilterFactory\"/></service>\n"
                + "  <implementation class=\"" + cls + "\"/>\n"
                + "</scr:component>\n").getBytes(StandardCharsets.UTF_8));
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                entries.put(classes.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", spec.symbolicName);
        a.putValue("Bundle-Version", spec.version);
        a.putValue("Import-Package", spec.importPackage);
        a.putValue("Service-Component", xml);
        a.putValue("Weir-Filter-Classes", spec.declaredClasses);
        Path jar = dir.resolve(spec.symbolicName + "-" + spec.version + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                j.putNextEntry(new JarEntry(e.getKey()));
                j.write(e.getValue());
                j.closeEntry();
            }
        }
        return jar;
    }

    private static String filterApiJar() {
        try {
            return Path.of(FilterFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
