package io.weir.codecheck;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import io.weir.filter.FilterClass;

/**
 * What a partner bundle of the given filter classes may use: the packages it may wire to (asked by the resolver
 * hook for every {@code osgi.wiring.package} requirement) and, through {@link CodeCheck}, the JDK capabilities
 * its bytecode may reach. The lists are an allow-list: a package not named here is refused. Immutable and
 * thread-safe; see the package javadoc for the lists and the reasons behind them.
 */
public final class PartnerPolicy {

    /** Packages every partner bundle may import: the filter API, DS runtime API, logging and the neutral JDK. */
    static final Set<String> BASE_PACKAGES = Set.of(
            // The filter API and the OSGi services a Declarative Services component normally touches.
            "io.weir.filter",
            "org.osgi.service.component",
            "org.osgi.service.log",
            "org.osgi.util.function",
            "org.osgi.util.promise",
            // The JDK a filter computes with. Dangerous members inside these packages are refused by the
            // bytecode scan (process exit, reflection, files, sockets...), not by the import check.
            "java.io",
            "java.lang",
            "java.lang.annotation",
            "java.lang.invoke",
            "java.lang.ref",
            "java.lang.reflect",
            "java.lang.runtime",
            "java.math",
            "java.net",
            "java.nio",
            "java.nio.channels",
            "java.nio.charset",
            "java.security",
            "java.text",
            "java.time",
            "java.time.chrono",
            "java.time.format",
            "java.time.temporal",
            "java.util",
            "java.util.concurrent",
            "java.util.concurrent.atomic",
            "java.util.concurrent.locks",
            "java.util.function",
            "java.util.random",
            "java.util.regex",
            "java.util.stream",
            "java.util.zip");

    private static final Set<String> CRYPTO = Set.of("javax.crypto", "javax.crypto.spec", "java.security.spec");
    private static final Set<String> FILES = Set.of("java.nio.file", "java.nio.file.attribute");
    private static final Set<String> NETWORK =
            Set.of("java.net.http", "javax.net", "javax.net.ssl", "java.security.cert");

    /** Extra packages per filter class. */
    static final Map<FilterClass, Set<String>> CLASS_PACKAGES;

    static {
        Map<FilterClass, Set<String>> extras = new EnumMap<>(FilterClass.class);
        for (FilterClass c : FilterClass.values()) {
            extras.put(c, Set.of());
        }
        extras.put(FilterClass.ENCRYPTION, CRYPTO);
        extras.put(FilterClass.CACHE, FILES);
        extras.put(FilterClass.REPLICATION, union(CRYPTO, FILES, NETWORK));
        CLASS_PACKAGES = Collections.unmodifiableMap(extras);
    }

    /** Filter classes whose bytecode may use the network (a replica lives elsewhere). */
    static final Set<FilterClass> NETWORK_CLASSES = Collections.unmodifiableSet(EnumSet.of(FilterClass.REPLICATION));
    /** Filter classes whose bytecode may use the file system (a cache device, a replication journal). */
    static final Set<FilterClass> FILE_SYSTEM_CLASSES =
            Collections.unmodifiableSet(EnumSet.of(FilterClass.CACHE, FilterClass.REPLICATION));

    private final Set<FilterClass> classes;
    private final Set<String> importable;

    private PartnerPolicy(Set<FilterClass> classes) {
        this.classes = classes;
        Set<String> all = new TreeSet<>(BASE_PACKAGES);
        for (FilterClass c : classes) {
            all.addAll(CLASS_PACKAGES.get(c));
        }
        this.importable = Collections.unmodifiableSet(all);
    }

    /**
     * The policy for a bundle that declares filters of {@code classes}. A bundle's allowances are the union of
     * its classes' allowances; an empty set gives the base policy that applies to every partner bundle.
     */
    public static PartnerPolicy forClasses(Set<FilterClass> classes) {
        Objects.requireNonNull(classes, "classes");
        EnumSet<FilterClass> copy = EnumSet.noneOf(FilterClass.class);
        for (FilterClass c : classes) {
            copy.add(Objects.requireNonNull(c, "filter class"));
        }
        return new PartnerPolicy(Collections.unmodifiableSet(copy));
    }

    /** The filter classes this policy was built for. */
    public Set<FilterClass> classes() {
        return classes;
    }

    /**
     * Whether a partner bundle may wire to {@code packageName} (exact package name, no wildcards). Answers the
     * resolver hook for each {@code osgi.wiring.package} requirement; also what the bytecode scan accepts for
     * types outside the bundle.
     */
    public boolean mayImport(String packageName) {
        Objects.requireNonNull(packageName, "packageName");
        return importable.contains(packageName);
    }

    /** Every package {@link #mayImport} accepts, sorted. */
    public Set<String> importablePackages() {
        return importable;
    }

    /** Whether bytecode of this bundle may open sockets, URL connections and TLS sessions. */
    public boolean networkAllowed() {
        return !Collections.disjoint(classes, NETWORK_CLASSES);
    }

    /** Whether bytecode of this bundle may open files and file channels. */
    public boolean fileSystemAllowed() {
        return !Collections.disjoint(classes, FILE_SYSTEM_CLASSES);
    }

    /** Human-readable statement of the policy: classes, importable packages, and what the bytecode may not do. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("Partner bundle policy for filter classes ").append(classes.isEmpty() ? "(none)" : classes)
                .append('\n');
        b.append("May import (Import-Package) and reference in bytecode:\n");
        for (String p : importable) {
            b.append("  ").append(p).append('\n');
        }
        b.append("Never: other io.weir.* packages, org.osgi.framework, org.apache.felix.*, "
                + "sun.*, com.sun.*, jdk.internal.*, and any package not listed above.\n");
        b.append("Manifest headers refused: Require-Bundle, DynamicImport-Package, Fragment-Host, "
                + "Bundle-NativeCode.\n");
        b.append("Bytecode refused: ");
        EnumSet<Rule> refused = EnumSet.of(Rule.PROCESS_EXIT, Rule.PROCESS_SPAWN, Rule.THREAD_CONTROL,
                Rule.DEEP_REFLECTION, Rule.REFLECTIVE_INVOCATION, Rule.UNSAFE, Rule.NATIVE_LOADING,
                Rule.CLASS_LOADER, Rule.NETWORK, Rule.FILE_SYSTEM, Rule.INTERNAL_API, Rule.BOOTSTRAP_NOT_ALLOWED,
                Rule.GLOBAL_STATE);
        if (networkAllowed()) {
            refused.remove(Rule.NETWORK);
        }
        if (fileSystemAllowed()) {
            refused.remove(Rule.FILE_SYSTEM);
        }
        String sep = "";
        for (Rule r : refused) {
            b.append(sep).append(r).append(" (").append(r.summary()).append(')');
            sep = "; ";
        }
        b.append('\n');
        b.append("Network: ").append(networkAllowed() ? "allowed" : "refused (REPLICATION only)").append('\n');
        b.append("File system: ").append(fileSystemAllowed() ? "allowed" : "refused (CACHE and REPLICATION only)")
                .append('\n');
        return b.toString();
    }

    @Override
    public String toString() {
        return "PartnerPolicy" + classes;
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> all = new TreeSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return Collections.unmodifiableSet(all);
    }
}
