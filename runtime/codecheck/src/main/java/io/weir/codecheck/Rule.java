package io.weir.codecheck;

/**
 * What a {@link Finding} breaks. Each constant carries a one-line summary used in reports; the full lists
 * behind each rule are documented in the package javadoc.
 */
public enum Rule {
    /** An {@code Import-Package} entry names a package the partner policy does not allow. */
    IMPORT_NOT_ALLOWED("imports a package partner bundles may not wire to"),
    /** The manifest has {@code Require-Bundle}: whole-bundle wiring bypasses the package allow-list. */
    REQUIRE_BUNDLE("requires a whole bundle"),
    /** The manifest has {@code DynamicImport-Package}: wiring decided at run time, invisible to review. */
    DYNAMIC_IMPORT("imports packages dynamically"),
    /** The manifest has {@code Fragment-Host}: a fragment joins its host's class loader. */
    FRAGMENT_HOST("is a fragment of another bundle"),
    /** {@code Bundle-NativeCode}, or a native library file embedded in the bundle. */
    NATIVE_CODE("ships native code"),
    /** System.exit, Runtime.exit or Runtime.halt: would stop every disk. */
    PROCESS_EXIT("exits the runtime process"),
    /** ProcessBuilder, Runtime.exec, Process, ProcessHandle. */
    PROCESS_SPAWN("spawns or controls operating-system processes"),
    /** Thread.stop/suspend/resume and ThreadGroup-wide control. */
    THREAD_CONTROL("controls threads it does not own"),
    /** setAccessible, privateLookupIn, Lookup.defineClass: breaks encapsulation of other code. */
    DEEP_REFLECTION("breaks encapsulation by reflection"),
    /** Reflective calls a bytecode scan cannot see through. */
    REFLECTIVE_INVOCATION("calls code reflectively"),
    /** sun.misc.Unsafe or jdk.internal.misc.Unsafe. */
    UNSAFE("uses Unsafe"),
    /** System.load/loadLibrary, Runtime.load/loadLibrary, the foreign linker. */
    NATIVE_LOADING("loads native libraries"),
    /** Defines a class loader or defines classes at run time. */
    CLASS_LOADER("creates a class loader or defines classes"),
    /** Sockets, URL connections, HTTP client, TLS: REPLICATION filters only. */
    NETWORK("uses the network"),
    /** Files and file channels: CACHE and REPLICATION filters only. */
    FILE_SYSTEM("uses the file system"),
    /** JDK-internal packages: sun.*, com.sun.*, jdk.internal.*. */
    INTERNAL_API("uses JDK-internal API"),
    /** A class entry that cannot be parsed (corrupt, truncated, too large or too new a class file). */
    UNREADABLE_CLASS("has a class that cannot be read"),
    /** Bytecode refers to a package outside the allow-list (runtime internals, OSGi framework, JDK areas). */
    PACKAGE_NOT_ALLOWED("uses a package partner code may not use"),
    /** invokedynamic or a dynamic constant whose bootstrap method is not one the compiler emits. */
    BOOTSTRAP_NOT_ALLOWED("links calls through a bootstrap method outside the allowed set"),
    /** Changes state shared by the whole runtime process (system properties, standard streams, defaults...). */
    GLOBAL_STATE("changes process-wide state"),
    /** Defines classes in a platform package or the filter API package, or exports a platform or io.weir package. */
    RESERVED_PACKAGE("claims a reserved package namespace"),
    /** The manifest is missing, not an OSGi R4+ bundle manifest, or a header cannot be parsed. */
    MALFORMED_MANIFEST("has a missing or malformed bundle manifest");

    private final String summary;

    Rule(String summary) {
        this.summary = summary;
    }

    /** One line saying what a bundle with this finding does, e.g. "exits the runtime process". */
    public String summary() {
        return summary;
    }
}
