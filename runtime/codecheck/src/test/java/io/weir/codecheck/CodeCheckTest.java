package io.weir.codecheck;

import static io.weir.codecheck.TestBundles.SAMPLE_IMPORTS;
import static io.weir.codecheck.TestBundles.asmClass;
import static io.weir.codecheck.TestBundles.compile;
import static io.weir.codecheck.TestBundles.jar;
import static io.weir.codecheck.TestBundles.jarBytes;
import static io.weir.codecheck.TestBundles.lineOf;
import static io.weir.codecheck.TestBundles.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Manifest;

import io.weir.filter.FilterClass;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

class CodeCheckTest {

    private static final String HERE = "// here";
    private static final Set<FilterClass> INSPECTION = EnumSet.of(FilterClass.INSPECTION);

    @TempDir
    Path dir;

    /** A class {@code com.acme.Probe} whose body is {@code members}, compiled and packed as a bundle. */
    private CodeReport checkProbe(String members, Set<FilterClass> classes) throws IOException {
        return checkSources(Map.of("com.acme.Probe", probeSource(members)), classes);
    }

    private static String probeSource(String members) {
        return "package com.acme;\n\npublic class Probe {\n" + members + "\n}\n";
    }

    private CodeReport checkSources(Map<String, String> sources, Set<FilterClass> classes) throws IOException {
        return CodeCheck.check(jar(dir, "bundle.jar", manifest(SAMPLE_IMPORTS), compile(sources)), classes);
    }

    /** Every finding breaks {@code rule} at {@code where}, and one of them names {@code api}. */
    private static void assertOnly(CodeReport report, Rule rule, String where, String api) {
        assertFalse(report.clean(), "expected " + rule + " at " + where);
        for (Finding f : report.findings()) {
            assertEquals(rule, f.rule(), () -> "unexpected finding " + f + " in " + report.findings());
            assertEquals(where, f.where(), () -> "finding at the wrong place: " + f);
        }
        assertTrue(report.findings().stream().anyMatch(f -> f.message().contains(api)),
                () -> "no finding names " + api + ": " + report.findings());
    }

    private static String probeMethod(String members, String method) {
        return "com/acme/Probe.class, method " + method + ", line " + lineOf(probeSource(members), HERE);
    }

    private void assertProbeBreaks(String members, String method, Rule rule, String api) throws IOException {
        assertOnly(checkProbe(members, INSPECTION), rule, probeMethod(members, method), api);
    }

    // ---- clean code ------------------------------------------------------------------------------------------

    @Test
    void passThroughFilterLikeTheSampleIsClean() throws IOException {
        String source = """
                package io.weir.samples.passthrough;

                import java.util.EnumMap;
                import java.util.Map;
                import java.util.concurrent.atomic.LongAdder;

                import io.weir.filter.Filter;
                import io.weir.filter.FilterClass;
                import io.weir.filter.FilterContext;
                import io.weir.filter.FilterFactory;
                import io.weir.filter.FilterType;
                import io.weir.filter.IoOp;

                @FilterType(filterName = "passthrough", filterClass = FilterClass.INSPECTION)
                public final class PassThroughFilterFactory implements FilterFactory {
                    private final Map<IoOp, LongAdder> seen = new EnumMap<>(IoOp.class);

                    public PassThroughFilterFactory() {
                        for (IoOp op : IoOp.values()) {
                            seen.put(op, new LongAdder());
                        }
                    }

                    @Override
                    public Filter create(FilterContext context) {
                        return (request, chain) -> {
                            seen.get(request.op()).increment();
                            chain.pass();
                        };
                    }

                    long seen(IoOp op) {
                        return seen.get(op).sum();
                    }
                }
                """;
        Map<String, byte[]> classes = compile(Map.of("io.weir.samples.passthrough.PassThroughFilterFactory", source));
        CodeReport report = CodeCheck.check(jar(dir, "passthrough.jar", manifest(SAMPLE_IMPORTS), classes), INSPECTION);
        assertEquals(List.of(), report.findings());
        assertEquals(classes.size(), report.classesScanned());
    }

    @Test
    void lambdasRecordsStringConcatenationAndSwitchesCompileToAllowedBootstraps() throws IOException {
        String source = """
                package com.acme;

                import java.util.List;
                import java.util.Optional;
                import java.util.function.Function;
                import java.util.function.Supplier;
                import java.util.stream.Collectors;

                public final class Modern {
                    enum Mode { READ, WRITE, TRIM }

                    record Extent(long offset, int length) {
                        Extent {
                            if (length < 0) throw new IllegalArgumentException("length " + length + " < 0");
                        }
                    }

                    sealed interface Shape permits Square, Circle {}
                    record Square(int side) implements Shape {}
                    record Circle(int radius) implements Shape {}

                    static String describe(Object o, Mode mode, String name) {
                        String m = switch (mode) {
                            case READ -> "r";
                            case WRITE -> "w";
                            case TRIM -> "t";
                        };
                        int n;
                        switch (name) {
                            case "alpha": n = 1; break;
                            case "beta": n = 2; break;
                            default: n = 0;
                        }
                        if (o instanceof Extent e && e.length() > 0) {
                            m = m + e.offset() + ":" + e.length() + "/" + n;
                        }
                        Function<String, Integer> len = String::length;
                        Supplier<Extent> make = () -> new Extent(n, 4096);
                        String joined = List.of("a", "bb").stream().map(s -> s + len.apply(s))
                                .collect(Collectors.joining(","));
                        String text = \"""
                                block %s
                                \""".formatted(joined);
                        return Optional.of(m + text + make.get()).orElse("") + new Square(2).equals(new Circle(3));
                    }
                }
                """;
        CodeReport report = checkSources(Map.of("com.acme.Modern", source), INSPECTION);
        assertEquals(List.of(), report.findings());
        assertTrue(report.classesScanned() >= 6, "records, enum and switch map classes scanned: " + report.classesScanned());
    }

    // ---- bytecode rules --------------------------------------------------------------------------------------

    @Test
    void systemExitIsProcessExitNamingClassMethodAndLine() throws IOException {
        assertProbeBreaks("""
                    static void run(int code) {
                        System.exit(code); // here
                    }
                """, "run(I)V", Rule.PROCESS_EXIT, "java.lang.System.exit(int)");
    }

    @Test
    void runtimeHaltIsProcessExit() throws IOException {
        assertProbeBreaks("""
                    void stopNow() {
                        Runtime.getRuntime().halt(1); // here
                    }
                """, "stopNow()V", Rule.PROCESS_EXIT, "java.lang.Runtime.halt(int)");
    }

    @Test
    void methodReferenceToSystemExitIsCaughtThroughTheLambdaBootstrap() throws IOException {
        assertProbeBreaks("""
                    static java.util.function.IntConsumer exiter() {
                        return System::exit; // here
                    }
                """, "exiter()Ljava/util/function/IntConsumer;", Rule.PROCESS_EXIT, "java.lang.System.exit(int)");
    }

    @Test
    void processBuilderIsProcessSpawn() throws IOException {
        assertProbeBreaks("""
                    static void run() throws Exception {
                        new ProcessBuilder("sg_reset", "/dev/sdb").start(); // here
                    }
                """, "run()V", Rule.PROCESS_SPAWN, "java.lang.ProcessBuilder");
    }

    @Test
    void runtimeExecIsProcessSpawn() throws IOException {
        String members = """
                    static void run() throws Exception {
                        Runtime.getRuntime().exec(new String[] {"sync"}); // here
                    }
                """;
        CodeReport report = checkProbe(members, INSPECTION);
        assertOnly(report, Rule.PROCESS_SPAWN, probeMethod(members, "run()V"), "java.lang.Runtime.exec(java.lang.String[])");
    }

    @Test
    void threadStopThroughAPartnerSubclassIsThreadControl() throws IOException {
        String members = """
                    static final class Worker extends Thread {
                    }

                    @SuppressWarnings("removal")
                    static void kill(Worker w) {
                        w.stop(); // here
                    }
                """;
        assertProbeBreaks(members, "kill(Lcom/acme/Probe$Worker;)V", Rule.THREAD_CONTROL, "com.acme.Probe$Worker.stop()");
    }

    @Test
    void setAccessibleIsDeepReflection() throws IOException {
        assertProbeBreaks("""
                    static void open(java.lang.reflect.Field f) {
                        f.setAccessible(true); // here
                    }
                """, "open(Ljava/lang/reflect/Field;)V", Rule.DEEP_REFLECTION, "setAccessible(boolean)");
    }

    @Test
    void privateLookupInIsDeepReflection() throws IOException {
        assertProbeBreaks("""
                    static Object peek() throws Exception {
                        return java.lang.invoke.MethodHandles.privateLookupIn(String.class, java.lang.invoke.MethodHandles.lookup()); // here
                    }
                """, "peek()Ljava/lang/Object;", Rule.DEEP_REFLECTION, "privateLookupIn");
    }

    @Test
    void lookupDefineClassIsBothDeepReflectionAndClassLoader() throws IOException {
        String members = """
                    static Class<?> define(byte[] code) throws Exception {
                        return java.lang.invoke.MethodHandles.lookup().defineClass(code); // here
                    }
                """;
        CodeReport report = checkProbe(members, INSPECTION);
        String where = probeMethod(members, "define([B)Ljava/lang/Class;");
        assertEquals(List.of(Rule.DEEP_REFLECTION, Rule.CLASS_LOADER),
                report.findings().stream().map(Finding::rule).toList(), report.findings()::toString);
        assertTrue(report.findings().stream().allMatch(f -> f.where().equals(where)
                && f.message().contains("java.lang.invoke.MethodHandles$Lookup.defineClass(byte[])")), report.findings()::toString);
    }

    @Test
    void methodInvokeIsReflectiveInvocation() throws IOException {
        assertProbeBreaks("""
                    static Object call(java.lang.reflect.Method m) throws Exception {
                        return m.invoke(null); // here
                    }
                """, "call(Ljava/lang/reflect/Method;)Ljava/lang/Object;", Rule.REFLECTIVE_INVOCATION,
                "java.lang.reflect.Method.invoke(java.lang.Object, java.lang.Object[])");
    }

    @Test
    void lookupFindVirtualIsReflectiveInvocation() throws IOException {
        assertProbeBreaks("""
                    static Object find() throws Exception {
                        return java.lang.invoke.MethodHandles.lookup().findVirtual(String.class, "length", java.lang.invoke.MethodType.methodType(int.class)); // here
                    }
                """, "find()Ljava/lang/Object;", Rule.REFLECTIVE_INVOCATION, "findVirtual");
    }

    @Test
    void classForNameWithOneArgumentInitializesAndIsRefused() throws IOException {
        assertProbeBreaks("""
                    static Class<?> load(String name) throws Exception {
                        return Class.forName(name); // here
                    }
                """, "load(Ljava/lang/String;)Ljava/lang/Class;", Rule.REFLECTIVE_INVOCATION, "java.lang.Class.forName(java.lang.String)");
    }

    @Test
    void classForNameWithConstantFalseInitializeIsAllowed() throws IOException {
        CodeReport report = checkProbe("""
                    static Class<?> load(String name) throws Exception {
                        return Class.forName(name, false, Probe.class.getClassLoader());
                    }
                    static Class<?> loadWithContext(String name) throws Exception {
                        return Class.forName(name,
                                false,
                                Thread.currentThread().getContextClassLoader());
                    }
                """, INSPECTION);
        assertEquals(List.of(), report.findings());
    }

    @Test
    void classForNameWithInitializeTrueOrUnknownIsRefused() throws IOException {
        String members = """
                    static Class<?> load(String name, boolean init) throws Exception {
                        Class.forName(name, true, Probe.class.getClassLoader());
                        return Class.forName(name, init, null); // here
                    }
                """;
        CodeReport report = checkProbe(members, INSPECTION);
        int last = lineOf(probeSource(members), HERE);
        String method = "com/acme/Probe.class, method load(Ljava/lang/String;Z)Ljava/lang/Class;, line ";
        assertEquals(List.of(method + (last - 1), method + last),
                report.findings().stream().map(Finding::where).toList(), report.findings()::toString);
        assertTrue(report.findings().stream().allMatch(f -> f.rule() == Rule.REFLECTIVE_INVOCATION));
    }

    @Test
    void forNameBehindABranchThatCouldPassTrueIsRefused() throws IOException {
        String members = """
                    static Class<?> load(String name, boolean c, ClassLoader l) throws Exception {
                        return Class.forName(name, c ? true : false, l); // here
                    }
                """;
        assertProbeBreaks(members, "load(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;",
                Rule.REFLECTIVE_INVOCATION, "forName");
    }

    @Test
    void sunMiscUnsafeIsUnsafe() throws IOException {
        byte[] probe = asmClass("com/acme/Raw", 12, mv -> {
            mv.visitFieldInsn(Opcodes.GETSTATIC, "sun/misc/Unsafe", "theUnsafe", "Lsun/misc/Unsafe;");
            mv.visitInsn(Opcodes.POP);
        });
        CodeReport report = CodeCheck.check(bundleOf(Map.of("com/acme/Raw.class", probe)), INSPECTION);
        assertOnly(report, Rule.UNSAFE, "com/acme/Raw.class, method run()V, line 12", "sun.misc.Unsafe");
    }

    @Test
    void jdkInternalPackageIsInternalApi() throws IOException {
        byte[] probe = asmClass("com/acme/Raw", 30, mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "jdk/internal/misc/VM", "initLevel", "()I", false);
            mv.visitInsn(Opcodes.POP);
        });
        CodeReport report = CodeCheck.check(bundleOf(Map.of("com/acme/Raw.class", probe)), INSPECTION);
        assertOnly(report, Rule.INTERNAL_API, "com/acme/Raw.class, method run()V, line 30", "jdk.internal.misc.VM");
    }

    @Test
    void classWithoutLineNumbersIsPlacedByMethodOnly() throws IOException {
        byte[] probe = asmClass("com/acme/Raw", 0, mv -> {
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "exit", "(I)V", false);
        });
        CodeReport report = CodeCheck.check(bundleOf(Map.of("com/acme/Raw.class", probe)), INSPECTION);
        assertOnly(report, Rule.PROCESS_EXIT, "com/acme/Raw.class, method run()V", "java.lang.System.exit(int)");
    }

    @Test
    void systemLoadLibraryIsNativeLoading() throws IOException {
        assertProbeBreaks("""
                    static {
                        System.loadLibrary("acmecache"); // here
                    }
                """, "<clinit>()V", Rule.NATIVE_LOADING, "java.lang.System.loadLibrary(java.lang.String)");
    }

    @Test
    void constructingAUrlClassLoaderIsClassLoader() throws IOException {
        assertProbeBreaks("""
                    static Object loader() {
                        return new java.net.URLClassLoader(new java.net.URL[0]); // here
                    }
                """, "loader()Ljava/lang/Object;", Rule.CLASS_LOADER, "new java.net.URLClassLoader(java.net.URL[])");
    }

    @Test
    void extendingClassLoaderIsClassLoaderAtTheDeclaration() throws IOException {
        String source = """
                package com.acme;

                public class PluginLoader extends java.security.SecureClassLoader {
                }
                """;
        CodeReport report = checkSources(Map.of("com.acme.PluginLoader", source), INSPECTION);
        List<Finding> declaration = report.findings().stream()
                .filter(f -> f.where().equals("com/acme/PluginLoader.class, declaration of com.acme.PluginLoader")).toList();
        assertEquals(1, declaration.size(), report.findings()::toString);
        assertEquals(Rule.CLASS_LOADER, declaration.get(0).rule());
        assertTrue(declaration.get(0).message().contains("java.security.SecureClassLoader"), declaration.get(0)::toString);
        assertTrue(report.findings().stream().allMatch(f -> f.rule() == Rule.CLASS_LOADER), report.findings()::toString);
    }

    @Test
    void socketIsRefusedForCacheAndAllowedForReplication() throws IOException {
        String members = """
                    static Object connect() throws Exception {
                        return new java.net.Socket("replica.example", 10809); // here
                    }
                """;
        assertOnly(checkProbe(members, EnumSet.of(FilterClass.CACHE)), Rule.NETWORK,
                probeMethod(members, "connect()Ljava/lang/Object;"), "java.net.Socket");
        assertEquals(List.of(), checkProbe(members, EnumSet.of(FilterClass.REPLICATION)).findings());
    }

    @Test
    void httpClientIsNetworkForInspection() throws IOException {
        assertProbeBreaks("""
                    static Object client() {
                        return java.net.http.HttpClient.newHttpClient(); // here
                    }
                """, "client()Ljava/lang/Object;", Rule.NETWORK, "java.net.http.HttpClient");
    }

    @Test
    void fileStreamIsAllowedForCacheAndRefusedForInspection() throws IOException {
        String members = """
                    static Object open() throws Exception {
                        return new java.io.FileInputStream("/var/cache/acme.dat"); // here
                    }
                """;
        assertEquals(List.of(), checkProbe(members, EnumSet.of(FilterClass.CACHE)).findings());
        assertOnly(checkProbe(members, INSPECTION), Rule.FILE_SYSTEM, probeMethod(members, "open()Ljava/lang/Object;"),
                "java.io.FileInputStream");
    }

    @Test
    void nioFilesAreRefusedForInspectionAndAllowedForReplication() throws IOException {
        String members = """
                    static long size() throws Exception {
                        return java.nio.file.Files.size(java.nio.file.Path.of("journal")); // here
                    }
                """;
        assertOnly(checkProbe(members, INSPECTION), Rule.FILE_SYSTEM, probeMethod(members, "size()J"), "java.nio.file");
        assertEquals(List.of(), checkProbe(members, EnumSet.of(FilterClass.REPLICATION)).findings());
    }

    @Test
    void printStreamOnAFileNameIsFileSystem() throws IOException {
        assertProbeBreaks("""
                    static Object log() throws Exception {
                        return new java.io.PrintStream("trace.log"); // here
                    }
                """, "log()Ljava/lang/Object;", Rule.FILE_SYSTEM, "new java.io.PrintStream(java.lang.String)");
    }

    @Test
    void cipherIsAllowedForEncryptionAndRefusedForCompression() throws IOException {
        String members = """
                    static Object cipher() throws Exception {
                        return javax.crypto.Cipher.getInstance("AES/XTS/NoPadding"); // here
                    }
                """;
        assertEquals(List.of(), checkProbe(members, EnumSet.of(FilterClass.ENCRYPTION)).findings());
        assertOnly(checkProbe(members, EnumSet.of(FilterClass.COMPRESSION)), Rule.PACKAGE_NOT_ALLOWED,
                probeMethod(members, "cipher()Ljava/lang/Object;"), "javax.crypto.Cipher");
    }

    @Test
    void systemSetPropertyAndShutdownHooksAreGlobalState() throws IOException {
        assertProbeBreaks("""
                    static void configure() {
                        System.setProperty("jdk.tls.client.protocols", "TLSv1"); // here
                    }
                """, "configure()V", Rule.GLOBAL_STATE, "java.lang.System.setProperty");
        assertProbeBreaks("""
                    static void onExit(Runnable r) {
                        Runtime.getRuntime().addShutdownHook(new Thread(r)); // here
                    }
                """, "onExit(Ljava/lang/Runnable;)V", Rule.GLOBAL_STATE, "java.lang.Runtime.addShutdownHook");
    }

    @Test
    void bytecodeReachingTheOsgiFrameworkIsPackageNotAllowed() throws IOException {
        byte[] probe = asmClass("com/acme/Raw", 5, mv -> {
            mv.visitLdcInsn(Type.getObjectType("org/osgi/framework/BundleContext"));
            mv.visitInsn(Opcodes.POP);
        });
        CodeReport report = CodeCheck.check(bundleOf(Map.of("com/acme/Raw.class", probe)), INSPECTION);
        assertOnly(report, Rule.PACKAGE_NOT_ALLOWED, "com/acme/Raw.class, method run()V, line 5",
                "org.osgi.framework.BundleContext");
    }

    @Test
    void invokedynamicWithAPartnerBootstrapIsRefused() throws IOException {
        Handle bsm = new Handle(Opcodes.H_INVOKESTATIC, "com/acme/Linker", "link",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;)"
                        + "Ljava/lang/invoke/CallSite;", false);
        byte[] probe = asmClass("com/acme/Raw", 9, mv -> mv.visitInvokeDynamicInsn("anything", "()V", bsm));
        CodeReport report = CodeCheck.check(bundleOf(Map.of("com/acme/Raw.class", probe)), INSPECTION);
        assertOnly(report, Rule.BOOTSTRAP_NOT_ALLOWED, "com/acme/Raw.class, method run()V, line 9", "com.acme.Linker.link");
    }

    @Test
    void patternSwitchBootstrapOfNewerCompilersIsAllowed() throws IOException {
        Handle typeSwitch = new Handle(Opcodes.H_INVOKESTATIC, "java/lang/runtime/SwitchBootstraps", "typeSwitch",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                        + "[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;", false);
        byte[] probe = asmClass("com/acme/Raw", 9, mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ICONST_0);
            mv.visitInvokeDynamicInsn("typeSwitch", "(Ljava/lang/Object;I)I", typeSwitch,
                    Type.getObjectType("java/lang/String"), Type.getObjectType("java/lang/Integer"));
            mv.visitInsn(Opcodes.POP);
        });
        assertEquals(List.of(), CodeCheck.check(bundleOf(Map.of("com/acme/Raw.class", probe)), INSPECTION).findings());
    }

    @Test
    void garbageClassEntryIsUnreadableNotAnException() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("com/acme/Garbage.class", "this is not bytecode".getBytes(StandardCharsets.US_ASCII));
        byte[] valid = asmClass("com/acme/Cut", 1, mv -> { });
        entries.put("com/acme/Cut.class", Arrays.copyOf(valid, valid.length / 2));
        CodeReport report = CodeCheck.check(bundleOf(entries), INSPECTION);
        assertEquals(List.of("com/acme/Garbage.class", "com/acme/Cut.class"),
                report.findings().stream().map(Finding::where).toList(), report.findings()::toString);
        assertTrue(report.findings().stream().allMatch(f -> f.rule() == Rule.UNREADABLE_CLASS));
        assertEquals(2, report.classesScanned());
    }

    @Test
    void classInAVersionedDirectoryIsScanned() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("com/acme/Raw.class", asmClass("com/acme/Raw", 3, mv -> { }));
        entries.put("META-INF/versions/17/com/acme/Raw.class", asmClass("com/acme/Raw", 4, mv -> {
            mv.visitInsn(Opcodes.ICONST_1);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "exit", "(I)V", false);
        }));
        CodeReport report = CodeCheck.check(jar(dir, "mr.jar", manifest(SAMPLE_IMPORTS, "Multi-Release", "true"), entries),
                INSPECTION);
        assertOnly(report, Rule.PROCESS_EXIT, "META-INF/versions/17/com/acme/Raw.class, method run()V, line 4",
                "java.lang.System.exit(int)");
        assertEquals(2, report.classesScanned());
    }

    @Test
    void classInAnEmbeddedJarOnTheBundleClassPathIsScanned() throws IOException {
        byte[] inner = jarBytes(null, Map.of("com/acme/lib/Helper.class", asmClass("com/acme/lib/Helper", 21, mv -> {
            mv.visitLdcInsn("acme");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "loadLibrary", "(Ljava/lang/String;)V", false);
        })));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("com/acme/Raw.class", asmClass("com/acme/Raw", 3, mv -> { }));
        entries.put("lib/helper.jar", inner);
        CodeReport report = CodeCheck.check(jar(dir, "nested.jar",
                manifest(SAMPLE_IMPORTS, "Bundle-ClassPath", ".,lib/helper.jar"), entries), INSPECTION);
        assertOnly(report, Rule.NATIVE_LOADING, "lib/helper.jar!/com/acme/lib/Helper.class, method run()V, line 21",
                "java.lang.System.loadLibrary");
        assertEquals(2, report.classesScanned());
    }

    @Test
    void truncatedEmbeddedJarIsUnreadableNotAnException() throws IOException {
        byte[] inner = jarBytes(null, Map.of("com/acme/lib/Helper.class", asmClass("com/acme/lib/Helper", 1, mv -> { })));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("lib/helper.jar", Arrays.copyOf(inner, 70));
        CodeReport report = CodeCheck.check(jar(dir, "nested.jar",
                manifest(SAMPLE_IMPORTS, "Bundle-ClassPath", ".,lib/helper.jar"), entries), INSPECTION);
        assertOnly(report, Rule.UNREADABLE_CLASS, "lib/helper.jar", "embedded jar");
    }

    @Test
    void embeddedSharedLibraryIsNativeCodeNamingTheEntry() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("native/linux-x86_64/libacme.so.1", new byte[] {0x7f, 'E', 'L', 'F'});
        CodeReport report = CodeCheck.check(bundleOf(entries), INSPECTION);
        assertOnly(report, Rule.NATIVE_CODE, "native/linux-x86_64/libacme.so.1", "libacme.so.1");
    }

    @Test
    void classDefinedInTheFilterApiPackageIsReservedPackage() throws IOException {
        byte[] probe = asmClass("io/weir/filter/Impostor", 1, mv -> { });
        CodeReport report = CodeCheck.check(bundleOf(Map.of("io/weir/filter/Impostor.class", probe)), INSPECTION);
        assertOnly(report, Rule.RESERVED_PACKAGE, "io/weir/filter/Impostor.class, declaration of io.weir.filter.Impostor",
                "io.weir.filter");
    }

    // ---- manifest rules --------------------------------------------------------------------------------------

    @Test
    void importOfRuntimeInternalsIsRefusedAndTheFilterApiAllowed() throws IOException {
        CodeReport report = checkManifest(manifest(
                "io.weir.filter;version=\"[1.0,2)\",io.weir.vscsi;version=\"[1.0,2)\";resolution:=optional,java.util"));
        assertOnly(report, Rule.IMPORT_NOT_ALLOWED, "META-INF/MANIFEST.MF, Import-Package", "io.weir.vscsi");
        assertEquals(1, report.findings().size());
    }

    @Test
    void importOfTheOsgiFrameworkOrFelixIsRefused() throws IOException {
        CodeReport report = checkManifest(manifest("org.osgi.framework;version=\"[1.10,2)\",org.apache.felix.scr.impl"));
        assertEquals(List.of(Rule.IMPORT_NOT_ALLOWED, Rule.IMPORT_NOT_ALLOWED),
                report.findings().stream().map(Finding::rule).toList());
        assertTrue(report.findings().get(0).message().contains("org.osgi.framework"));
        assertTrue(report.findings().get(1).message().contains("org.apache.felix.scr.impl"));
    }

    @Test
    void networkImportsAreAllowedOnlyForReplication() throws IOException {
        Manifest m = manifest("io.weir.filter,javax.net.ssl");
        assertEquals(List.of(), CodeCheck.check(jar(dir, "r.jar", m, Map.of()), EnumSet.of(FilterClass.REPLICATION)).findings());
        assertOnly(CodeCheck.check(jar(dir, "c.jar", m, Map.of()), EnumSet.of(FilterClass.CACHE)),
                Rule.IMPORT_NOT_ALLOWED, "META-INF/MANIFEST.MF, Import-Package", "javax.net.ssl");
    }

    @Test
    void requireBundleAndDynamicImportAreRefused() throws IOException {
        CodeReport report = checkManifest(manifest(SAMPLE_IMPORTS,
                "Require-Bundle", "weir-core;bundle-version=\"[0.1,1)\"",
                "DynamicImport-Package", "*"));
        assertEquals(List.of(new Rule[] {Rule.REQUIRE_BUNDLE, Rule.DYNAMIC_IMPORT}).size(), report.findings().size(),
                report.findings()::toString);
        assertEquals(Rule.REQUIRE_BUNDLE, report.findings().get(0).rule());
        assertEquals("META-INF/MANIFEST.MF, Require-Bundle", report.findings().get(0).where());
        assertTrue(report.findings().get(0).message().contains("weir-core"));
        assertEquals(Rule.DYNAMIC_IMPORT, report.findings().get(1).rule());
        assertEquals("META-INF/MANIFEST.MF, DynamicImport-Package", report.findings().get(1).where());
    }

    @Test
    void fragmentHostAndBundleNativeCodeAreRefused() throws IOException {
        CodeReport report = checkManifest(manifest(SAMPLE_IMPORTS,
                "Fragment-Host", "weir-core", "Bundle-NativeCode", "lib/libacme.so;osname=Linux"));
        assertEquals(List.of(Rule.FRAGMENT_HOST, Rule.NATIVE_CODE), report.findings().stream().map(Finding::rule).toList());
    }

    @Test
    void exportingTheFilterApiPackageIsReservedPackage() throws IOException {
        CodeReport report = checkManifest(manifest(SAMPLE_IMPORTS, "Export-Package", "io.weir.filter;version=\"1.0\""));
        assertOnly(report, Rule.RESERVED_PACKAGE, "META-INF/MANIFEST.MF, Export-Package", "io.weir.filter");
    }

    @Test
    void importOfTheBundlesOwnExportIsAllowed() throws IOException {
        CodeReport report = checkManifest(manifest("io.weir.filter,com.acme.api;version=\"[1.0,2)\"",
                "Export-Package", "com.acme.api;version=\"1.0.0\""));
        assertEquals(List.of(), report.findings());
    }

    @Test
    void unparsableImportPackageIsMalformedManifestNotAnException() throws IOException {
        CodeReport report = checkManifest(manifest("io.weir.filter;version=\"[1.0,2)"));
        assertOnly(report, Rule.MALFORMED_MANIFEST, "META-INF/MANIFEST.MF, Import-Package", "unterminated");
    }

    @Test
    void jarWithoutAManifestIsMalformedManifest() throws IOException {
        CodeReport report = CodeCheck.check(jar(dir, "plain.jar", null, Map.of("a.txt", new byte[] {1})), INSPECTION);
        assertOnly(report, Rule.MALFORMED_MANIFEST, "META-INF/MANIFEST.MF", "not an OSGi bundle");
    }

    @Test
    void versionedSupplementalManifestImportsAreChecked() throws IOException {
        Manifest supplemental = new Manifest();
        supplemental.getMainAttributes().putValue("Manifest-Version", "1.0");
        supplemental.getMainAttributes().putValue("Import-Package", "io.weir.filter,org.osgi.framework");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        supplemental.write(bytes);
        Path bundle = jar(dir, "mr.jar", manifest(SAMPLE_IMPORTS, "Multi-Release", "true"),
                Map.of("META-INF/versions/21/OSGI-INF/MANIFEST.MF", bytes.toByteArray()));
        assertOnly(CodeCheck.check(bundle, INSPECTION), Rule.IMPORT_NOT_ALLOWED,
                "META-INF/versions/21/OSGI-INF/MANIFEST.MF, Import-Package", "org.osgi.framework");
    }

    @Test
    void notAZipArchiveIsAnIOException() throws IOException {
        Path notZip = dir.resolve("not.jar");
        java.nio.file.Files.writeString(notZip, "plain text");
        org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> CodeCheck.check(notZip, INSPECTION));
    }

    private Path bundleOf(Map<String, byte[]> entries) throws IOException {
        return jar(dir, "bundle.jar", manifest(SAMPLE_IMPORTS), entries);
    }

    private CodeReport checkManifest(Manifest manifest) throws IOException {
        return CodeCheck.check(jar(dir, "manifest-only.jar", manifest, Map.of()), INSPECTION);
    }
}
