package io.weir.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.ops4j.pax.exam.Option;

/**
 * The framework every integration test boots: Felix with SCR, Config Admin, Metatype and the real Weir
 * bundles, installed from the jars the build copied into {@code target/bundles} (system property
 * {@value #BUNDLES_PROPERTY}).
 */
final class WeirFramework {
    static final String BUNDLES_PROPERTY = "weir.itest.bundles";
    /** System property: the directory under which each framework gets its own data directory. */
    static final String WORK_PROPERTY = "weir.itest.work";

    /** Support bundles first, then the Weir bundles in dependency order. */
    static final List<String> SUPPORT_BUNDLES = List.of(
            "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component",
            "org.apache.felix.scr", "org.apache.felix.configadmin", "org.apache.felix.metatype",
            "org.osgi.util.converter", "gson");

    /** Bundle symbolic names and file names of the Weir bundles (the build strips versions from file names). */
    static final List<String> WEIR_BUNDLES = List.of(
            "weir-filter-api", "weir-backend-api", "weir-core", "weir-backend-memory", "weir-backend-file",
            "weir-certification-kit", "weir-sample-passthrough");

    /** Data directory per test class: Pax Exam may ask a class for its configuration more than once. */
    private static final Map<Class<?>, Path> DATA_DIRS = new ConcurrentHashMap<>();

    private WeirFramework() {
    }

    /**
     * The options for the framework of {@code testClass}, whose disks live in a fresh data directory under the
     * build's work directory (system property {@value #WORK_PROPERTY}).
     */
    static Option options(Class<?> testClass) {
        Path dataDir = DATA_DIRS.computeIfAbsent(testClass, WeirFramework::newDataDir);
        List<Option> options = new ArrayList<>();
        options.add(frameworkProperty("weir.data.dir").value(dataDir.toString()));
        options.add(frameworkProperty("weir.demo").value("false"));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        options.add(cleanCaches(true));
        options.add(junitBundles());
        for (String name : SUPPORT_BUNDLES) {
            options.add(bundle(url(name)));
        }
        for (String name : WEIR_BUNDLES) {
            options.add(bundle(url(name)));
        }
        return composite(options.toArray(new Option[0]));
    }

    private static Path newDataDir(Class<?> testClass) {
        try {
            Path work = Path.of(System.getProperty(WORK_PROPERTY, System.getProperty("java.io.tmpdir")));
            Files.createDirectories(work);
            return Files.createTempDirectory(work, testClass.getSimpleName() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String url(String name) {
        String dir = System.getProperty(BUNDLES_PROPERTY);
        if (dir == null) {
            throw new IllegalStateException("system property " + BUNDLES_PROPERTY
                    + " is not set: run the integration tests through Maven (mvn verify)");
        }
        Path jar = Path.of(dir, name + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("bundle under test missing: " + jar);
        }
        return jar.toUri().toString();
    }
}
