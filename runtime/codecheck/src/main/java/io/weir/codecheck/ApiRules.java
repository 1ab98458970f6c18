package io.weir.codecheck;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The JDK API lists behind the bytecode rules: whole types, single members, package namespaces and the
 * invokedynamic bootstrap methods the compiler emits. Names are JVM internal names ({@code java/lang/System}).
 * Immutable; built once per class (constant tables, no mutable global state).
 */
final class ApiRules {

    /** Why a type or member is refused. */
    record Verdict(Rule rule, String reason) {
    }

    /** A member rule: method or field names on an owner, optionally only descriptors starting with a prefix. */
    private record MemberRule(Set<String> names, String descriptorPrefix, Verdict verdict) {
        boolean matches(String name, String descriptor) {
            return names.contains(name) && (descriptorPrefix == null || descriptor.startsWith(descriptorPrefix));
        }
    }

    private static final Map<String, Verdict> TYPES;
    private static final Map<String, List<MemberRule>> MEMBERS;

    /** Bootstrap methods javac emits for lambdas, string concatenation, records and pattern switches. */
    private static final Set<String> ALLOWED_BOOTSTRAPS = Set.of(
            "java/lang/invoke/LambdaMetafactory.metafactory",
            "java/lang/invoke/LambdaMetafactory.altMetafactory",
            "java/lang/invoke/StringConcatFactory.makeConcat",
            "java/lang/invoke/StringConcatFactory.makeConcatWithConstants",
            "java/lang/runtime/ObjectMethods.bootstrap",
            "java/lang/runtime/SwitchBootstraps.typeSwitch",
            "java/lang/runtime/SwitchBootstraps.enumSwitch");

    /** The JDK class loader types: extending or constructing one creates a class loader. */
    static final Set<String> CLASS_LOADER_TYPES = Set.of(
            "java/lang/ClassLoader", "java/security/SecureClassLoader", "java/net/URLClassLoader");

    static final String FOR_NAME_WITH_LOADER = "(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;";

    static {
        Tables t = new Tables();
        t.fill();
        TYPES = Map.copyOf(t.types);
        Map<String, List<MemberRule>> members = new HashMap<>();
        t.members.forEach((owner, rules) -> members.put(owner, List.copyOf(rules)));
        MEMBERS = Map.copyOf(members);
    }

    private ApiRules() {
    }

    /** Builds the tables once; never visible outside class initialization. */
    private static final class Tables {
        private final Map<String, Verdict> types = new HashMap<>();
        private final Map<String, List<MemberRule>> members = new HashMap<>();

        void fill() {
            String spawn = "starts or controls operating-system processes";
            type("java/lang/ProcessBuilder", Rule.PROCESS_SPAWN, spawn);
            type("java/lang/ProcessBuilder$Redirect", Rule.PROCESS_SPAWN, spawn);
            type("java/lang/Process", Rule.PROCESS_SPAWN, spawn);
            type("java/lang/ProcessHandle", Rule.PROCESS_SPAWN, spawn);
            type("java/lang/ProcessHandle$Info", Rule.PROCESS_SPAWN, spawn);
            member("java/lang/Runtime", Rule.PROCESS_SPAWN, spawn, "exec");

            String exit = "stops the whole runtime process and every disk in it";
            member("java/lang/System", Rule.PROCESS_EXIT, exit, "exit");
            member("java/lang/Runtime", Rule.PROCESS_EXIT, exit, "exit", "halt");

            member("java/lang/Thread", Rule.THREAD_CONTROL, "stops or suspends a thread at an arbitrary point",
                    "stop", "suspend", "resume", "countStackFrames");
            member("java/lang/ThreadGroup", Rule.THREAD_CONTROL, "controls every thread of a thread group",
                    "stop", "suspend", "resume", "destroy", "interrupt", "setMaxPriority", "setDaemon");

            String deep = "breaks the encapsulation of code it does not own";
            for (String owner : List.of("java/lang/reflect/AccessibleObject", "java/lang/reflect/Executable",
                    "java/lang/reflect/Method", "java/lang/reflect/Constructor", "java/lang/reflect/Field")) {
                member(owner, Rule.DEEP_REFLECTION, deep, "setAccessible", "trySetAccessible");
            }
            member("java/lang/invoke/MethodHandles", Rule.DEEP_REFLECTION, deep, "privateLookupIn");
            member("java/lang/invoke/MethodHandles$Lookup", Rule.DEEP_REFLECTION, deep,
                    "defineClass", "defineHiddenClass", "defineHiddenClassWithClassData");
            member("java/lang/ModuleLayer$Controller", Rule.DEEP_REFLECTION, deep,
                    "addOpens", "addExports", "addReads", "enableNativeAccess");

            String hidden = "a call made by reflection hides its target from review";
            member("java/lang/reflect/Method", Rule.REFLECTIVE_INVOCATION, hidden, "invoke");
            member("java/lang/reflect/Constructor", Rule.REFLECTIVE_INVOCATION, hidden, "newInstance");
            member("java/lang/Class", Rule.REFLECTIVE_INVOCATION, hidden, "newInstance");
            member("java/lang/reflect/Field", Rule.REFLECTIVE_INVOCATION, hidden,
                    "get", "getBoolean", "getByte", "getChar", "getShort", "getInt", "getLong", "getFloat", "getDouble",
                    "set", "setBoolean", "setByte", "setChar", "setShort", "setInt", "setLong", "setFloat",
                    "setDouble");
            member("java/lang/invoke/MethodHandles$Lookup", Rule.REFLECTIVE_INVOCATION, hidden,
                    "findStatic", "findVirtual", "findConstructor", "findSpecial", "findGetter", "findSetter",
                    "findStaticGetter", "findStaticSetter", "findVarHandle", "findStaticVarHandle", "findClass",
                    "unreflect", "unreflectSpecial", "unreflectConstructor", "unreflectGetter", "unreflectSetter",
                    "unreflectVarHandle", "ensureInitialized");
            member("java/lang/reflect/Proxy", Rule.REFLECTIVE_INVOCATION, hidden, "newProxyInstance", "getProxyClass");
            member("java/lang/reflect/InvocationHandler", Rule.REFLECTIVE_INVOCATION, hidden, "invokeDefault");
            // Class.forName(String) always initializes; the three-argument form is checked at the call site.
            memberWithDescriptor("java/lang/Class", "forName", "(Ljava/lang/String;)", Rule.REFLECTIVE_INVOCATION,
                    "loads and initializes a class named at run time");

            String unsafe = "reads and writes memory without bounds or type checks";
            type("sun/misc/Unsafe", Rule.UNSAFE, unsafe);
            type("jdk/internal/misc/Unsafe", Rule.UNSAFE, unsafe);

            String nativeLoad = "loads native code into the runtime process";
            member("java/lang/System", Rule.NATIVE_LOADING, nativeLoad, "load", "loadLibrary");
            member("java/lang/Runtime", Rule.NATIVE_LOADING, nativeLoad, "load", "loadLibrary");
            type("java/lang/foreign/Linker", Rule.NATIVE_LOADING, nativeLoad);
            type("java/lang/foreign/SymbolLookup", Rule.NATIVE_LOADING, nativeLoad);

            String loader = "defines classes the scan never sees";
            for (String t : CLASS_LOADER_TYPES) {
                member(t, Rule.CLASS_LOADER, loader, "<init>");
            }
            member("java/lang/invoke/MethodHandles$Lookup", Rule.CLASS_LOADER, loader,
                    "defineClass", "defineHiddenClass", "defineHiddenClassWithClassData");
            member("java/lang/ModuleLayer", Rule.CLASS_LOADER, loader,
                    "defineModules", "defineModulesWithOneLoader", "defineModulesWithManyLoaders");

            String net = "opens network connections (REPLICATION filters only)";
            for (String t : List.of("java/net/Socket", "java/net/ServerSocket", "java/net/DatagramSocket",
                    "java/net/MulticastSocket", "java/net/SocketImpl", "java/net/DatagramSocketImpl",
                    "java/net/URLConnection", "java/net/HttpURLConnection", "java/net/JarURLConnection",
                    "java/nio/channels/SocketChannel", "java/nio/channels/ServerSocketChannel",
                    "java/nio/channels/DatagramChannel", "java/nio/channels/AsynchronousSocketChannel",
                    "java/nio/channels/AsynchronousServerSocketChannel")) {
                type(t, Rule.NETWORK, net);
            }
            member("java/net/URL", Rule.NETWORK, net, "openConnection", "openStream", "getContent");
            member("java/net/InetAddress", Rule.NETWORK,
                    "resolves names or probes hosts on the network (REPLICATION filters only)",
                    "getByName", "getAllByName", "getLocalHost", "getCanonicalHostName", "getHostName", "isReachable");

            String files = "opens files (CACHE and REPLICATION filters only)";
            for (String t : List.of("java/io/File", "java/io/FileInputStream", "java/io/FileOutputStream",
                    "java/io/FileReader", "java/io/FileWriter", "java/io/RandomAccessFile", "java/io/FileDescriptor",
                    "java/util/zip/ZipFile", "java/nio/channels/AsynchronousFileChannel")) {
                type(t, Rule.FILE_SYSTEM, files);
            }
            member("java/nio/channels/FileChannel", Rule.FILE_SYSTEM, files, "open");
            // These constructors take a file name as their first String argument.
            for (String t : List.of("java/io/PrintStream", "java/io/PrintWriter", "java/util/Formatter")) {
                memberWithDescriptor(t, "<init>", "(Ljava/lang/String;", Rule.FILE_SYSTEM, files);
            }

            String global = "changes state every disk and bundle in the runtime process shares";
            member("java/lang/System", Rule.GLOBAL_STATE, global, "setIn", "setOut", "setErr", "setProperty",
                    "clearProperty", "setProperties", "setSecurityManager", "gc", "runFinalization");
            member("java/lang/Runtime", Rule.GLOBAL_STATE, global, "addShutdownHook", "removeShutdownHook", "gc",
                    "runFinalization");
            member("java/lang/Thread", Rule.GLOBAL_STATE, global, "setDefaultUncaughtExceptionHandler");
            member("java/util/Locale", Rule.GLOBAL_STATE, global, "setDefault");
            member("java/util/TimeZone", Rule.GLOBAL_STATE, global, "setDefault");
            member("java/security/Security", Rule.GLOBAL_STATE, global, "addProvider", "insertProviderAt",
                    "removeProvider", "setProperty");
            member("java/security/Policy", Rule.GLOBAL_STATE, global, "setPolicy");
            member("java/net/URL", Rule.GLOBAL_STATE, global, "setURLStreamHandlerFactory");
            member("java/net/URLConnection", Rule.GLOBAL_STATE, global, "setContentHandlerFactory", "setFileNameMap",
                    "setDefaultAllowUserInteraction", "setDefaultUseCaches");
            member("java/net/HttpURLConnection", Rule.GLOBAL_STATE, global, "setFollowRedirects");
            member("java/net/Socket", Rule.GLOBAL_STATE, global, "setSocketImplFactory");
            member("java/net/ServerSocket", Rule.GLOBAL_STATE, global, "setSocketFactory");
            member("java/net/DatagramSocket", Rule.GLOBAL_STATE, global, "setDatagramSocketImplFactory");
            for (String t : List.of("java/net/ProxySelector", "java/net/Authenticator", "java/net/CookieHandler",
                    "java/net/ResponseCache", "javax/net/ssl/SSLContext")) {
                member(t, Rule.GLOBAL_STATE, global, "setDefault");
            }
            member("javax/net/ssl/HttpsURLConnection", Rule.GLOBAL_STATE, global, "setDefaultSSLSocketFactory",
                    "setDefaultHostnameVerifier");
        }

        private void type(String internalName, Rule rule, String reason) {
            types.put(internalName, new Verdict(rule, reason));
        }

        private void member(String owner, Rule rule, String reason, String... names) {
            members.computeIfAbsent(owner, k -> new ArrayList<>())
                    .add(new MemberRule(Set.of(names), null, new Verdict(rule, reason)));
        }

        private void memberWithDescriptor(String owner, String name, String prefix, Rule rule, String reason) {
            members.computeIfAbsent(owner, k -> new ArrayList<>())
                    .add(new MemberRule(Set.of(name), prefix, new Verdict(rule, reason)));
        }
    }

    /** The verdict on any use of the JDK type {@code internalName}, if the whole type is refused. */
    static Optional<Verdict> type(String internalName) {
        return Optional.ofNullable(TYPES.get(internalName));
    }

    /** Every verdict on the member {@code owner.name descriptor} (one member may break several rules). */
    static List<Verdict> member(String owner, String name, String descriptor) {
        List<MemberRule> rules = MEMBERS.get(owner);
        if (rules == null) {
            return List.of();
        }
        return rules.stream().filter(r -> r.matches(name, descriptor)).map(MemberRule::verdict).toList();
    }

    /** Whether {@code owner.name} is a bootstrap method the compiler emits for ordinary Java. */
    static boolean allowedBootstrap(String owner, String name) {
        return ALLOWED_BOOTSTRAPS.contains(owner + "." + name);
    }

    /**
     * The verdict on a type whose package the policy does not allow, choosing the most specific rule:
     * Unsafe, JDK internals, network, file system, native linking, else {@link Rule#PACKAGE_NOT_ALLOWED}.
     */
    static Verdict packageVerdict(String packageName) {
        if (startsWithSegment(packageName, "sun") || startsWithSegment(packageName, "com.sun")
                || startsWithSegment(packageName, "jdk.internal")) {
            return new Verdict(Rule.INTERNAL_API, "JDK internals are not a supported API and bypass its checks");
        }
        if (startsWithSegment(packageName, "java.net") || startsWithSegment(packageName, "javax.net")) {
            return new Verdict(Rule.NETWORK, "network API (REPLICATION filters only)");
        }
        if (startsWithSegment(packageName, "java.nio.file")) {
            return new Verdict(Rule.FILE_SYSTEM, "file system API (CACHE and REPLICATION filters only)");
        }
        if (startsWithSegment(packageName, "io.weir")) {
            return new Verdict(Rule.PACKAGE_NOT_ALLOWED, "runtime internals; partners see only io.weir.filter");
        }
        if (startsWithSegment(packageName, "org.osgi.framework")) {
            return new Verdict(Rule.PACKAGE_NOT_ALLOWED, "the OSGi framework API reaches every runtime service");
        }
        if (startsWithSegment(packageName, "org.apache.felix")) {
            return new Verdict(Rule.PACKAGE_NOT_ALLOWED, "framework implementation internals");
        }
        return new Verdict(Rule.PACKAGE_NOT_ALLOWED, "not on the partner allow-list");
    }

    /** Namespaces owned by the Java platform, the OSGi specifications and the framework. */
    private static final List<String> PLATFORM_NAMESPACES =
            List.of("java", "javax", "jdk", "sun", "com.sun", "org.osgi", "org.apache.felix");

    /**
     * Whether a partner class may not be defined in {@code packageName}: the platform namespaces and the filter
     * API package (a private copy of the API would masquerade as the real one).
     */
    static boolean reservedForDefinition(String packageName) {
        return startsWithSegment(packageName, "io.weir.filter")
                || PLATFORM_NAMESPACES.stream().anyMatch(ns -> startsWithSegment(packageName, ns));
    }

    /**
     * Whether a partner bundle may not export {@code packageName}: the platform namespaces and everything under
     * {@code io.weir}, so that no other bundle can be wired to a partner's copy of a runtime or API package.
     */
    static boolean reservedForExport(String packageName) {
        return startsWithSegment(packageName, "io.weir")
                || PLATFORM_NAMESPACES.stream().anyMatch(ns -> startsWithSegment(packageName, ns));
    }

    /** Whether {@code name} is {@code prefix} or a subpackage of it. */
    static boolean startsWithSegment(String name, String prefix) {
        return name.equals(prefix) || name.startsWith(prefix + ".");
    }
}
