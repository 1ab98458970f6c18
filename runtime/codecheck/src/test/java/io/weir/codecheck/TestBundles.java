package io.weir.codecheck;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import io.weir.filter.FilterClass;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** Builds partner-style test bundles: compiles Java sources or emits classes with ASM, then packs a jar. */
final class TestBundles {

    /** What bnd writes for a plain filter like the pass-through sample. */
    static final String SAMPLE_IMPORTS =
            "io.weir.filter;version=\"[1.0,2)\",java.lang,java.lang.invoke,java.util,java.util.concurrent.atomic";

    private TestBundles() {
    }

    /** Compiles {@code sources} (binary class name -> source) for Java 17, with the filter API on the class path. */
    static Map<String, byte[]> compile(Map<String, String> sources) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<String, ByteArrayOutputStream> outputs = new LinkedHashMap<>();
        StandardJavaFileManager standard = compiler.getStandardFileManager(diagnostics, null, null);
        JavaFileManager memory = new ForwardingJavaFileManager<>(standard) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                    FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        outputs.put(className.replace('.', '/') + ".class", out);
                        return out;
                    }
                };
            }
        };
        List<JavaFileObject> units = sources.entrySet().stream()
                .map(e -> (JavaFileObject) new SimpleJavaFileObject(
                        URI.create("string:///" + e.getKey().replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
                    @Override
                    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                        return e.getValue();
                    }
                })
                .toList();
        List<String> options = List.of("--release", "17", "-g", "-classpath", filterApiLocation(), "-nowarn",
                "-Xlint:none");
        boolean ok = compiler.getTask(null, memory, diagnostics, options, null, units).call();
        if (!ok) {
            fail("test source does not compile: " + diagnostics.getDiagnostics());
        }
        Map<String, byte[]> classes = new LinkedHashMap<>();
        outputs.forEach((name, out) -> classes.put(name, out.toByteArray()));
        return classes;
    }

    private static String filterApiLocation() {
        try {
            return Path.of(FilterClass.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Emits a public class {@code internalName} extending Object with one static method {@code run()V} whose
     * code starts at {@code line} (none when 0) and is written by {@code body} (which must leave the stack empty).
     */
    static byte[] asmClass(String internalName, int line, Consumer<MethodVisitor> body) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
        cw.visitSource(internalName.substring(internalName.lastIndexOf('/') + 1) + ".java", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "run", "()V", null, null);
        mv.visitCode();
        Label start = new Label();
        mv.visitLabel(start);
        if (line > 0) {
            mv.visitLineNumber(line, start);
        }
        body.accept(mv);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A bundle manifest: R4 bundle with the given Import-Package and any extra headers (name, value pairs). */
    static Manifest manifest(String importPackage, String... extraHeaders) {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "com.acme.filter");
        a.putValue("Bundle-Version", "1.0.0");
        if (importPackage != null) {
            a.putValue("Import-Package", importPackage);
        }
        for (int i = 0; i < extraHeaders.length; i += 2) {
            a.putValue(extraHeaders[i], extraHeaders[i + 1]);
        }
        return m;
    }

    /** Writes a jar with {@code manifest} (may be null) and {@code entries} in order. */
    static Path jar(Path dir, String name, Manifest manifest, Map<String, byte[]> entries) throws IOException {
        Path jar = dir.resolve(name);
        Files.write(jar, jarBytes(manifest, entries));
        return jar;
    }

    static byte[] jarBytes(Manifest manifest, Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = manifest == null ? new JarOutputStream(bytes) : new JarOutputStream(bytes, manifest)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The 1-based line of the first source line containing {@code marker}. */
    static int lineOf(String source, String marker) {
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(marker)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("marker not in source: " + marker);
    }
}
