package io.weir.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import com.google.gson.JsonObject;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Runs the Weir runtime in the foreground: embedded Felix with the bundles carried in this jar's
 * {@code bundles/} folder, until the framework stops (admin {@code shutdown}, SIGTERM or SIGINT).
 */
final class RuntimeLauncher {
    /** How long to wait for the admin socket to answer after the bundles started. */
    static final long READY_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(60);
    /** How long a shutdown (signal) waits for the framework to stop. */
    static final long STOP_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(60);
    private static final String BUNDLES = "bundles/";
    private static final String SAMPLES = "samples/";

    private final Path dataDir;
    private final boolean demo;
    private final boolean developmentTrust;
    private final String version;
    private final PrintWriter out;

    RuntimeLauncher(Path dataDir, boolean demo, boolean developmentTrust, String version, PrintWriter out) {
        this.dataDir = dataDir;
        this.demo = demo;
        this.developmentTrust = developmentTrust;
        this.version = version;
        this.out = out;
    }

    /** Start, print the ready line, wait until the framework stops; returns the exit code. */
    int run() throws WeirException {
        Path socket = DataDirOption.socketOf(dataDir);
        int socketBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > 107) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "the admin socket path " + socket + " is " + socketBytes
                    + " bytes long, the system allows 107; use a data directory with a shorter path");
        }
        if (AdminClient.answers(dataDir)) {
            throw alreadyRunning();
        }
        FileChannel lockChannel = null;
        try {
            prepareDirectories();
            lockChannel = FileChannel.open(dataDir.resolve("run").resolve("runtime.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock = tryLock(lockChannel);
            if (lock == null) {
                throw alreadyRunning();
            }
            return runLocked();
        } catch (IOException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot prepare data dir " + dataDir + ": " + e.getMessage(), e);
        } finally {
            if (lockChannel != null) {
                try {
                    lockChannel.close(); // releases the lock
                } catch (IOException ignored) {
                    // the process ends anyway
                }
            }
        }
    }

    private WeirException alreadyRunning() {
        return new WeirException(ExitCode.RUNTIME_ERROR, "a runtime is already running (or still stopping) for data dir "
                + dataDir + "; stop it with 'weir stop'");
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this very JVM
        }
    }

    private void prepareDirectories() throws IOException {
        Files.createDirectories(dataDir);
        Path run = dataDir.resolve("run");
        try {
            Files.createDirectory(run, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(run)) {
                throw new IOException(run + " exists and is not a directory");
            }
        }
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(dataDir.resolve("trust")); // the operator's roots and CRLs
        Path devTrust = run.resolve("development-trust");
        if (developmentTrust && !DevelopmentTrust.extract(devTrust)) {
            throw new IOException("this build of weir carries no development root; run with --no-development-trust");
        }
        if (demo && !Files.exists(dataDir.resolve("catalog.json"))) {
            deploySamples(); // first start: the demo disk's filter arrives through the deploy pipeline
        }
    }

    /** Drop the signed sample filters this jar carries into the watched deploy folder. */
    private void deploySamples() throws IOException {
        Path deploy = Files.createDirectories(dataDir.resolve("deploy"));
        for (String name : resources(SAMPLES)) {
            try (InputStream in = RuntimeLauncher.class.getClassLoader().getResourceAsStream(name)) {
                if (in != null) {
                    Path tmp = deploy.resolve("." + name.substring(SAMPLES.length()));
                    Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, deploy.resolve(name.substring(SAMPLES.length())),
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
    }

    private int runLocked() throws WeirException {
        Framework framework = newFramework();
        try {
            framework.init();
        } catch (BundleException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot initialise the OSGi framework: " + e.getMessage(), e);
        }
        Thread hook = new Thread(() -> stop(framework), "weir-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            List<Bundle> bundles = install(framework.getBundleContext());
            framework.start();
            for (Bundle b : bundles) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    try {
                        b.start();
                    } catch (BundleException e) {
                        throw new WeirException(ExitCode.RUNTIME_ERROR, "bundle " + b.getSymbolicName() + " "
                                + b.getVersion() + " did not start: " + oneLine(e.getMessage()), e);
                    }
                }
            }
            JsonObject status = awaitReady(framework);
            out.println("weir " + version + " ready: data dir " + dataDir + ", admin socket "
                    + DataDirOption.socketOf(dataDir) + ", " + status.getAsJsonArray("disks").size() + " disk(s), "
                    + frontEnds(framework.getBundleContext()) + "pid "
                    + ProcessHandle.current().pid());
            out.flush();
            FrameworkEvent event = framework.waitForStop(0);
            out.println("weir runtime stopped (data dir " + dataDir + ")");
            out.flush();
            return event.getType() == FrameworkEvent.ERROR ? ExitCode.RUNTIME_ERROR : ExitCode.OK;
        } catch (BundleException e) {
            stop(framework);
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot start the runtime: " + oneLine(e.getMessage()), e);
        } catch (WeirException e) {
            stop(framework);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(framework);
            throw new WeirException(ExitCode.RUNTIME_ERROR, "interrupted while running", e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: the hook is running or has run
            }
        }
    }

    private Framework newFramework() throws WeirException {
        Map<String, String> config = new HashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("weir.")) {
                config.put(name, System.getProperty(name)); // tuning knobs given with -Dweir.x=y
            }
        }
        config.put(Constants.FRAMEWORK_STORAGE, dataDir.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("weir.data.dir", dataDir.toString());
        config.put("weir.demo", Boolean.toString(demo));
        launcherJar().ifPresent(jar -> {
            // the deploy pipeline certifies bundles by running this jar's 'weir certify' in a child JVM
            config.put("weir.launcher.jar", jar.toString());
            config.put("weir.launcher.java", ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        });
        if (developmentTrust) {
            config.put("weir.trust.development", dataDir.resolve("run").resolve("development-trust").toString());
        }
        config.put("weir.version", version);
        config.put("weir.started", Long.toString(System.currentTimeMillis()));
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, RuntimeLauncher.class.getClassLoader())
                .findFirst()
                .orElseThrow(() -> new WeirException(ExitCode.RUNTIME_ERROR, "no OSGi framework in this build of weir"));
        return factory.newFramework(config);
    }

    /** The weir.jar this process runs from, if it runs from a jar (not from a class folder). */
    private static java.util.Optional<Path> launcherJar() {
        try {
            Path p = Path.of(RuntimeLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return java.util.Optional.empty();
        }
    }

    /** Install every bundle from this jar's {@code bundles/} folder, from streams. */
    private static List<Bundle> install(BundleContext context) throws WeirException, BundleException {
        List<String> names = bundleResources();
        if (names.isEmpty()) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "this build of weir carries no bundles (" + BUNDLES + " is empty)");
        }
        List<Bundle> installed = new ArrayList<>();
        for (String name : names) {
            try (InputStream in = RuntimeLauncher.class.getClassLoader().getResourceAsStream(name)) {
                if (in == null) {
                    throw new WeirException(ExitCode.RUNTIME_ERROR, "bundle resource " + name + " vanished");
                }
                installed.add(context.installBundle("weir:" + name, in));
            } catch (IOException e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot read bundle " + name + ": " + e.getMessage(), e);
            } catch (BundleException e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot install bundle " + name + ": " + oneLine(e.getMessage()), e);
            }
        }
        return installed;
    }

    /** Resource names of the bundles ({@code bundles/x.jar}), sorted, whether running from a jar or a class folder. */
    static List<String> bundleResources() throws WeirException {
        try {
            return resources(BUNDLES);
        } catch (IOException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, e.getMessage(), e);
        }
    }

    /** Resource names of the jars in one folder of this jar ({@code <folder>x.jar}), sorted. */
    private static List<String> resources(String folder) throws IOException {
        Path location;
        try {
            location = Path.of(RuntimeLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            throw new IOException("cannot tell where weir was loaded from: " + e, e);
        }
        List<String> names = new ArrayList<>();
        try {
            if (Files.isDirectory(location)) {
                Path dir = location.resolve(folder);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> files = Files.list(dir)) {
                        files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
                                .forEach(n -> names.add(folder + n));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    for (JarEntry e : Collections.list(jar.entries())) {
                        String n = e.getName();
                        if (n.startsWith(folder) && n.endsWith(".jar") && n.indexOf('/', folder.length()) < 0) {
                            names.add(n);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IOException("cannot list the " + folder + " in " + location + ": " + e.getMessage(), e);
        }
        Collections.sort(names);
        return names;
    }

    /** Wait until the admin socket answers {@code status}; fail if the framework stops or time runs out. */
    private JsonObject awaitReady(Framework framework) throws WeirException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        while (true) {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE)) == 0) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "the runtime stopped before it was ready");
            }
            if (java.nio.file.Files.exists(DataDirOption.socketOf(dataDir)) && deployFolderSettled()) {
                try (AdminClient client = AdminClient.connect(dataDir)) {
                    return client.call(AdminClient.op("status"), null);
                } catch (WeirException e) {
                    // not listening yet, or a stale socket file from a crash: keep waiting
                }
            }
            if (System.nanoTime() > deadline) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "the runtime started but its admin socket "
                        + DataDirOption.socketOf(dataDir) + " did not answer within " + READY_TIMEOUT_MS / 1000
                        + " s; see the messages above");
            }
            Thread.sleep(50);
        }
    }

    /** True once no bundle waits in the deploy folder (the samples of a first start have been judged). */
    private boolean deployFolderSettled() {
        try (Stream<Path> files = Files.list(dataDir.resolve("deploy"))) {
            return files.noneMatch(p -> p.getFileName().toString().endsWith(".jar"));
        } catch (IOException e) {
            return true; // no deploy folder: nothing to wait for
        }
    }

    /**
     * The front ends' endpoints for the ready line, e.g. {@code "NBD nbd://127.0.0.1:10809 nbd+unix:///?socket=..., "};
     * read from the service properties the front ends register ({@code weir.frontend.endpoints}), waiting briefly
     * for them to come up. Empty when none serves.
     */
    private static String frontEnds(BundleContext context) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(weir.frontend=*)");
                if (refs != null) {
                    StringBuilder line = new StringBuilder();
                    for (ServiceReference<?> ref : refs) {
                        if (ref.getProperty("weir.frontend.endpoints") instanceof String[] endpoints && endpoints.length > 0) {
                            line.append(String.valueOf(ref.getProperty("weir.frontend")).toUpperCase(java.util.Locale.ROOT))
                                    .append(' ').append(String.join(" ", endpoints)).append(", ");
                        }
                    }
                    return line.toString();
                }
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                return "";
            }
            Thread.sleep(50);
        }
    }

    /** Stop the framework and wait for it, so disks flush and close. */
    private static void stop(Framework framework) {
        try {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE)) != 0) {
                framework.stop();
            }
            framework.waitForStop(STOP_TIMEOUT_MS);
        } catch (BundleException e) {
            System.err.println("weir: cannot stop the runtime cleanly: " + oneLine(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", "; ").strip();
    }
}
