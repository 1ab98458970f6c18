package io.weir.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

import io.weir.certification.Candidate;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;

/**
 * A filter bundle hosted for certification: a private Felix framework with Declarative Services, in which the
 * bundle is installed and started so its components register their {@link FilterFactory} services exactly as they
 * would in a runtime. The filter API is exported by the system bundle from this process's own copy, so the
 * factories the bundle registers run directly on the kit's disks. Nothing of the runtime is there to reach.
 */
final class CandidateHost implements AutoCloseable {
    /** The bundles Declarative Services needs, from this jar's {@code bundles/} folder (by file-name prefix). */
    private static final List<String> FRAMEWORK_BUNDLES = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component", "org.apache.felix.scr");
    private static final long REGISTRATION_WAIT_MS = TimeUnit.SECONDS.toMillis(10);

    private final Framework framework;
    private final Path storage;
    private final Bundle candidate;

    private CandidateHost(Framework framework, Path storage, Bundle candidate) {
        this.framework = framework;
        this.storage = storage;
        this.candidate = candidate;
    }

    /** Boot the framework and start {@code bundleJar} in it; the caller closes it. */
    static CandidateHost start(Path bundleJar) throws WeirException {
        Path storage;
        try {
            storage = Files.createTempDirectory("weir-certify-");
        } catch (IOException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot make a framework folder: " + e.getMessage(), e);
        }
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, filterApiExports());
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, CandidateHost.class.getClassLoader())
                .findFirst().orElseThrow(() -> new WeirException(ExitCode.RUNTIME_ERROR, "no OSGi framework in this build"));
        Framework framework = factory.newFramework(config);
        try {
            framework.start();
            BundleContext context = framework.getBundleContext();
            List<Bundle> support = new ArrayList<>();
            for (String name : RuntimeLauncher.bundleResources()) {
                String file = name.substring(name.lastIndexOf('/') + 1);
                if (FRAMEWORK_BUNDLES.stream().anyMatch(p -> file.startsWith(p + "-"))) {
                    try (InputStream in = CandidateHost.class.getClassLoader().getResourceAsStream(name)) {
                        support.add(context.installBundle("weir:" + name, in));
                    }
                }
            }
            for (Bundle b : support) {
                b.start();
            }
            Bundle candidate;
            try (InputStream in = Files.newInputStream(bundleJar)) {
                candidate = context.installBundle("certify:" + bundleJar.toAbsolutePath(), in);
            }
            candidate.start();
            return new CandidateHost(framework, storage, candidate);
        } catch (BundleException | IOException | RuntimeException e) {
            stop(framework);
            deleteTree(storage);
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot start " + bundleJar + " for certification: "
                    + RuntimeLauncher.oneLine(e.getMessage()), e);
        }
    }

    /** The Export-Package of the filter API bundle this jar carries, so the system bundle offers the same package. */
    private static String filterApiExports() throws WeirException {
        for (String name : RuntimeLauncher.bundleResources()) {
            if (name.substring(name.lastIndexOf('/') + 1).startsWith("weir-filter-api-")) {
                try (InputStream in = CandidateHost.class.getClassLoader().getResourceAsStream(name);
                     JarInputStream jar = new JarInputStream(in)) {
                    Manifest m = jar.getManifest();
                    String exports = m == null ? null : m.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
                    if (exports != null) {
                        return exports;
                    }
                } catch (IOException e) {
                    throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot read " + name + ": " + e.getMessage(), e);
                }
            }
        }
        throw new WeirException(ExitCode.RUNTIME_ERROR, "this build of weir carries no filter API bundle");
    }

    /** The filters the bundle registered, waiting briefly for Declarative Services to register them. */
    List<Candidate> candidates() throws WeirException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REGISTRATION_WAIT_MS);
        BundleContext context = framework.getBundleContext();
        while (true) {
            List<Candidate> found = new ArrayList<>();
            try {
                ServiceReference<?>[] refs = context.getAllServiceReferences(FilterFactory.class.getName(), null);
                for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                    if (!candidate.equals(ref.getBundle())) {
                        continue;
                    }
                    Object name = ref.getProperty(FilterType.NAME);
                    Object cls = ref.getProperty(FilterType.CLASS);
                    FilterClass filterClass;
                    try {
                        filterClass = FilterClass.valueOf(String.valueOf(cls));
                    } catch (IllegalArgumentException e) {
                        throw new WeirException(ExitCode.RUNTIME_ERROR, "filter '" + name + "' declares an unknown "
                                + FilterType.CLASS + " '" + cls + "'");
                    }
                    FilterFactory factory = (FilterFactory) context.getService(ref);
                    found.add(new Candidate(String.valueOf(name), filterClass, factory, Map.of(),
                            candidate.getSymbolicName() + " " + candidate.getVersion()));
                }
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            } catch (ClassCastException e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "the bundle's filter factory is not built against"
                        + " this filter API: " + e.getMessage(), e);
            }
            if (!found.isEmpty()) {
                found.sort(Comparator.comparing(Candidate::filterName));
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, candidate.getSymbolicName() + " registered no filter"
                        + " factory within " + REGISTRATION_WAIT_MS / 1000 + " s (a Declarative Services component"
                        + " providing io.weir.filter.FilterFactory with weir.filterName and weir.filterClass)");
            }
            Thread.sleep(50);
        }
    }

    Bundle bundle() {
        return candidate;
    }

    @Override
    public void close() {
        stop(framework);
        deleteTree(storage);
    }

    private static void stop(Framework framework) {
        try {
            framework.stop();
            framework.waitForStop(TimeUnit.SECONDS.toMillis(30));
        } catch (BundleException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void deleteTree(Path dir) {
        try {
            io.weir.vscsi.durable.AtomicFiles.deleteTree(dir);
        } catch (IOException ignored) {
            // a temporary folder: best effort
        }
    }
}
