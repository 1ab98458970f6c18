package io.weir.codecheck;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import io.weir.filter.FilterClass;

import org.objectweb.asm.ClassReader;

/**
 * Checks the code of a partner filter bundle before it is installed: its manifest (what it may wire to, and
 * headers that escape the package allow-list) and the bytecode of every class entry, including versioned
 * entries under {@code META-INF/versions/} and classes of embedded jars named on {@code Bundle-ClassPath},
 * against the {@link PartnerPolicy} of the filter classes the bundle declares. Stateless and thread-safe.
 */
public final class CodeCheck {

    static final String MANIFEST = "META-INF/MANIFEST.MF";
    /** Largest class entry read; class files are bounded in practice far below this. */
    static final int MAX_CLASS_BYTES = 16 * 1024 * 1024;
    /** Largest manifest read. */
    static final int MAX_MANIFEST_BYTES = 1024 * 1024;
    private static final int CLASS_MAGIC = 0xCAFEBABE;
    private static final Pattern SUPPLEMENTAL_MANIFEST =
            Pattern.compile("META-INF/versions/\\d+/OSGI-INF/MANIFEST\\.MF");
    private static final Pattern NATIVE_LIBRARY = Pattern.compile(".*\\.(so(\\.\\d+)*|dll|dylib|jnilib)");
    private static final List<String> REFUSED_HEADERS = List.of(
            "Require-Bundle", "DynamicImport-Package", "Fragment-Host", "Bundle-NativeCode");

    private CodeCheck() {
    }

    /** A class file read from the bundle, with the entry name used in findings. */
    private record ClassEntry(String where, byte[] bytes) {
    }

    /**
     * Checks {@code bundleJar} for a bundle declaring filters of {@code declaredClasses}.
     *
     * @param bundleJar       the bundle jar, not yet installed
     * @param declaredClasses the filter classes the bundle declares (their union of allowances applies)
     * @return every finding; a corrupt or unsupported class gives an {@link Rule#UNREADABLE_CLASS} finding
     * @throws IOException when the file cannot be read or is not a zip archive
     */
    public static CodeReport check(Path bundleJar, Set<FilterClass> declaredClasses) throws IOException {
        Objects.requireNonNull(bundleJar, "bundleJar");
        PartnerPolicy policy = PartnerPolicy.forClasses(declaredClasses);
        LinkedHashSet<Finding> findings = new LinkedHashSet<>();
        List<ClassEntry> classes = new ArrayList<>();
        int classEntries = 0;
        try (ZipFile zip = new ZipFile(bundleJar.toFile())) {
            List<String> bundleClassPath = checkManifest(zip, policy, findings);
            for (Enumeration<? extends ZipEntry> all = zip.entries(); all.hasMoreElements(); ) {
                ZipEntry entry = all.nextElement();
                String name = entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                if (SUPPLEMENTAL_MANIFEST.matcher(name).matches()) {
                    checkSupplementalManifest(zip, entry, policy, findings);
                } else if (isNativeLibrary(name)) {
                    findings.add(new Finding(Rule.NATIVE_CODE, name, "embeds native library " + name));
                } else if (name.endsWith(".class")) {
                    classEntries++;
                    try (InputStream in = zip.getInputStream(entry)) {
                        addClass(classes, findings, name, in);
                    } catch (ZipException | EOFException e) {
                        findings.add(new Finding(Rule.UNREADABLE_CLASS, name, "compressed data is corrupt: " + e));
                    }
                }
            }
            for (String path : bundleClassPath) {
                ZipEntry nested = zip.getEntry(path);
                if (nested != null && !nested.isDirectory()) {
                    classEntries += readEmbeddedJar(zip, nested, classes, findings);
                }
            }
        }
        scanClasses(policy, classes, findings);
        return new CodeReport(new ArrayList<>(findings), classEntries);
    }

    private static void addClass(List<ClassEntry> classes, Set<Finding> findings, String where, InputStream in)
            throws IOException {
        byte[] bytes = readAtMost(in, MAX_CLASS_BYTES);
        if (bytes == null) {
            findings.add(new Finding(Rule.UNREADABLE_CLASS, where,
                    "class entry is larger than " + MAX_CLASS_BYTES + " bytes"));
        } else {
            classes.add(new ClassEntry(where, bytes));
        }
    }

    /** Reads the classes and native libraries of one embedded jar; returns how many class entries it holds. */
    private static int readEmbeddedJar(ZipFile zip, ZipEntry jar, List<ClassEntry> classes, Set<Finding> findings)
            throws IOException {
        int count = 0;
        try (ZipInputStream in = new ZipInputStream(zip.getInputStream(jar))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                String where = jar.getName() + "!/" + entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                if (isNativeLibrary(entry.getName())) {
                    findings.add(new Finding(Rule.NATIVE_CODE, where, "embeds native library " + entry.getName()));
                } else if (entry.getName().endsWith(".class")) {
                    count++;
                    addClass(classes, findings, where, in);
                }
            }
        } catch (IOException e) {
            // The outer archive was readable up to here: what fails is the embedded jar's own structure.
            findings.add(new Finding(Rule.UNREADABLE_CLASS, jar.getName(),
                    "embedded jar on Bundle-ClassPath cannot be read: " + e));
        }
        return count;
    }

    /** Pass 1 learns every class and its supertypes; pass 2 scans each class with that knowledge. */
    private static void scanClasses(PartnerPolicy policy, List<ClassEntry> classes, LinkedHashSet<Finding> findings) {
        Map<String, List<String>> supertypes = new LinkedHashMap<>();
        List<ClassEntry> readable = new ArrayList<>();
        for (ClassEntry c : classes) {
            try {
                if (c.bytes().length < 4 || readInt(c.bytes()) != CLASS_MAGIC) {
                    findings.add(new Finding(Rule.UNREADABLE_CLASS, c.where(), "not a class file (bad magic number)"));
                    continue;
                }
                ClassReader reader = new ClassReader(c.bytes());
                List<String> direct = new ArrayList<>();
                if (reader.getSuperName() != null) {
                    direct.add(reader.getSuperName());
                }
                direct.addAll(List.of(reader.getInterfaces()));
                supertypes.merge(reader.getClassName(), List.copyOf(direct), CodeCheck::union);
                readable.add(c);
            } catch (RuntimeException e) {
                findings.add(unreadable(c.where(), e));
            }
        }
        ClassScanner scanner = new ClassScanner(policy, Collections.unmodifiableMap(supertypes), findings);
        for (ClassEntry c : readable) {
            try {
                scanner.scan(c.where(), c.bytes());
            } catch (RuntimeException e) {
                findings.add(unreadable(c.where(), e));
            } catch (StackOverflowError e) {
                // Crafted, deeply nested dynamic constants: refuse the class rather than fail the check.
                findings.add(new Finding(Rule.UNREADABLE_CLASS, c.where(), "class file nests constants too deeply"));
            }
        }
    }

    private static Finding unreadable(String where, RuntimeException e) {
        // ASM reports malformed input as IllegalArgumentException, ArrayIndexOutOfBoundsException and the like.
        String type = e.getClass().getSimpleName();
        String detail = e.getMessage() == null ? type : type + ": " + e.getMessage();
        return new Finding(Rule.UNREADABLE_CLASS, where, "class file cannot be parsed (" + detail + ")");
    }

    /**
     * Checks the main manifest's headers.
     *
     * @return the embedded jar paths named on {@code Bundle-ClassPath} ({@code .} excluded)
     */
    private static List<String> checkManifest(ZipFile zip, PartnerPolicy policy, Set<Finding> findings)
            throws IOException {
        ZipEntry entry = zip.getEntry(MANIFEST);
        if (entry == null) {
            findings.add(new Finding(Rule.MALFORMED_MANIFEST, MANIFEST, "no " + MANIFEST + ": not an OSGi bundle"));
            return List.of();
        }
        Attributes main = readManifest(zip, entry, findings);
        if (main == null) {
            return List.of();
        }
        String manifestVersion = main.getValue("Bundle-ManifestVersion");
        if (!"2".equals(manifestVersion == null ? null : manifestVersion.trim())) {
            findings.add(new Finding(Rule.MALFORMED_MANIFEST, MANIFEST + ", Bundle-ManifestVersion",
                    "Bundle-ManifestVersion is " + (manifestVersion == null ? "missing" : "\"" + manifestVersion + "\"")
                            + "; a filter bundle must be an OSGi R4+ bundle (2)"));
        }
        for (String header : REFUSED_HEADERS) {
            String value = main.getValue(header);
            if (value != null && !value.isBlank()) {
                findings.add(new Finding(refusedHeaderRule(header), MANIFEST + ", " + header,
                        header + ": " + value.trim() + " is refused: " + refusedHeaderReason(header)));
            }
        }
        Set<String> ownExports = new HashSet<>();
        for (OsgiHeader.Clause clause : clauses(main, "Export-Package", MANIFEST, findings)) {
            for (String pkg : clause.paths()) {
                if (ApiRules.reservedForExport(pkg)) {
                    findings.add(new Finding(Rule.RESERVED_PACKAGE, MANIFEST + ", Export-Package",
                            "exports " + pkg + ", a package namespace reserved to the platform and the runtime"));
                } else {
                    ownExports.add(pkg);
                }
            }
        }
        checkImports(main, MANIFEST, policy, ownExports, findings);
        List<String> classPath = new ArrayList<>();
        for (OsgiHeader.Clause clause : clauses(main, "Bundle-ClassPath", MANIFEST, findings)) {
            for (String path : clause.paths()) {
                String p = path.startsWith("/") ? path.substring(1) : path;
                if (!p.equals(".") && !p.isEmpty()) {
                    classPath.add(p);
                }
            }
        }
        return classPath;
    }

    /** A Java-version-specific manifest (bnd/Felix multi-release support) may replace Import-Package. */
    private static void checkSupplementalManifest(ZipFile zip, ZipEntry entry, PartnerPolicy policy,
            Set<Finding> findings) throws IOException {
        Attributes main = readManifest(zip, entry, findings);
        if (main != null) {
            checkImports(main, entry.getName(), policy, Set.of(), findings);
        }
    }

    private static void checkImports(Attributes main, String manifestName, PartnerPolicy policy,
            Set<String> ownExports, Set<Finding> findings) {
        for (OsgiHeader.Clause clause : clauses(main, "Import-Package", manifestName, findings)) {
            for (String pkg : clause.paths()) {
                if (!OsgiHeader.isPackageName(pkg)) {
                    findings.add(new Finding(Rule.MALFORMED_MANIFEST, manifestName + ", Import-Package",
                            "\"" + pkg + "\" is not a package name"));
                } else if (!policy.mayImport(pkg) && !ownExports.contains(pkg)) {
                    findings.add(new Finding(Rule.IMPORT_NOT_ALLOWED, manifestName + ", Import-Package",
                            "imports " + pkg + ": " + ApiRules.packageVerdict(pkg).reason()));
                }
            }
        }
    }

    private static List<OsgiHeader.Clause> clauses(Attributes main, String header, String manifestName,
            Set<Finding> findings) {
        String value = main.getValue(header);
        if (value == null || value.isBlank()) {
            return List.of();
        }
        try {
            return OsgiHeader.parse(value);
        } catch (IllegalArgumentException e) {
            findings.add(new Finding(Rule.MALFORMED_MANIFEST, manifestName + ", " + header,
                    header + " cannot be parsed: " + e.getMessage()));
            return List.of();
        }
    }

    private static Attributes readManifest(ZipFile zip, ZipEntry entry, Set<Finding> findings) throws IOException {
        byte[] bytes;
        try (InputStream in = zip.getInputStream(entry)) {
            bytes = readAtMost(in, MAX_MANIFEST_BYTES);
        }
        if (bytes == null) {
            findings.add(new Finding(Rule.MALFORMED_MANIFEST, entry.getName(),
                    "manifest is larger than " + MAX_MANIFEST_BYTES + " bytes"));
            return null;
        }
        try {
            return new Manifest(new ByteArrayInputStream(bytes)).getMainAttributes();
        } catch (IOException | IllegalArgumentException e) {
            findings.add(new Finding(Rule.MALFORMED_MANIFEST, entry.getName(),
                    "manifest cannot be parsed: " + e.getMessage()));
            return null;
        }
    }

    private static Rule refusedHeaderRule(String header) {
        return switch (header) {
            case "Require-Bundle" -> Rule.REQUIRE_BUNDLE;
            case "DynamicImport-Package" -> Rule.DYNAMIC_IMPORT;
            case "Fragment-Host" -> Rule.FRAGMENT_HOST;
            case "Bundle-NativeCode" -> Rule.NATIVE_CODE;
            default -> throw new IllegalArgumentException(header);
        };
    }

    private static String refusedHeaderReason(String header) {
        return switch (header) {
            case "Require-Bundle" -> "it wires to every package of another bundle, bypassing the package allow-list";
            case "DynamicImport-Package" -> "packages wired at run time escape the import check";
            case "Fragment-Host" -> "a fragment runs inside its host bundle's class loader";
            case "Bundle-NativeCode" -> "native code runs outside the JVM's checks";
            default -> throw new IllegalArgumentException(header);
        };
    }

    private static boolean isNativeLibrary(String entryName) {
        String base = entryName.substring(entryName.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        return NATIVE_LIBRARY.matcher(base).matches();
    }

    /** Reads the stream fully, or returns null once more than {@code limit} bytes were seen. */
    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > limit) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static int readInt(byte[] b) {
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private static List<String> union(List<String> a, List<String> b) {
        LinkedHashSet<String> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
