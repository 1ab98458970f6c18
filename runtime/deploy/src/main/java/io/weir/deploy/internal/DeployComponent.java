package io.weir.deploy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.weir.codecheck.PartnerPolicy;
import io.weir.deploy.BundleState;
import io.weir.deploy.BundleUpgrade;
import io.weir.deploy.DeployException;
import io.weir.deploy.DeployException.Reason;
import io.weir.deploy.DeployedBundle;
import io.weir.deploy.FilterBundles;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.FilterAttachment;
import io.weir.vscsi.FilterInfo;
import io.weir.vscsi.FilterMove;
import io.weir.vscsi.durable.AtomicFiles;

/**
 * The runtime's {@link FilterBundles}: the registry under {@code <data>/filters}, the trust roots and CRLs under
 * {@code <data>/trust} (plus the development root when the framework property {@value #DEVELOPMENT_TRUST} names
 * its folder), the watched folder {@code <data>/deploy}, and the {@link PartnerGuard} hooks. At activation every
 * recorded bundle is judged again from its stored copy before it is installed, then the deploy folder is
 * processed once, before the service is offered.
 */
@Component(service = FilterBundles.class)
@Designate(ocd = DeployComponent.Config.class)
public final class DeployComponent implements FilterBundles {
    /** Framework property naming an extra folder of trusted roots and CRLs (the build's development PKI). */
    public static final String DEVELOPMENT_TRUST = "weir.trust.development";
    /** Framework properties the launcher sets: the java executable and weir.jar, which runs the certification kit. */
    public static final String LAUNCHER_JAVA = "weir.launcher.java";
    public static final String LAUNCHER_JAR = "weir.launcher.jar";
    /** Framework property: the time budget of each certification check, in milliseconds. */
    public static final String CERTIFICATION_BUDGET = "weir.certification.budget";
    private static final System.Logger LOG = System.getLogger(DeployComponent.class.getName());
    private static final long MAX_BUNDLE_BYTES = 256L << 20;
    /** How long an upgrade waits for the new version's filters to be offered after it started. */
    private static final long FACTORY_WAIT_MILLIS = 30_000;

    @ObjectClassDefinition(name = "Weir filter deployment", description = "The deploy pipeline and the watched deploy folder")
    public @interface Config {
        @AttributeDefinition(description = "How often the deploy folder is scanned, in milliseconds (0 = not watched)", min = "0")
        long pollMillis() default 1000;
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final BundleContext context;
    private final DiskService disks;
    private final Registry registry;
    private final Pipeline pipeline;
    private final PartnerGuard guard;
    private final Certification certification;
    private final ExecutorService fencer = Executors.newSingleThreadExecutor(r -> new Thread(r, "weir-deploy-fence"));
    private final ServiceRegistration<?> hooks;
    private final DeployFolder folder;

    @Activate
    public DeployComponent(BundleContext context, @Reference DiskService disks, Config config) throws IOException {
        this.context = context;
        this.disks = disks;
        Path data = Paths.get(require(context.getProperty("weir.data.dir"), "weir.data.dir")).toAbsolutePath();
        String dev = context.getProperty(DEVELOPMENT_TRUST);
        TrustFolders trust = new TrustFolders(data.resolve("trust"), dev == null || dev.isBlank() ? null : Paths.get(dev));
        this.pipeline = new Pipeline(trust::load, Clock.systemUTC());
        this.registry = new Registry(data.resolve("filters"));
        String budget = context.getProperty(CERTIFICATION_BUDGET);
        this.certification = new Certification(context.getProperty(LAUNCHER_JAVA), context.getProperty(LAUNCHER_JAR),
                budget == null || budget.isBlank() ? 1000 : Long.parseLong(budget.trim()), TimeUnit.MINUTES.toMillis(10));
        this.guard = new PartnerGuard(v -> fencer.execute(() -> fence(v)));
        this.hooks = context.registerService(new String[] {ResolverHookFactory.class.getName(), FindHook.class.getName(),
                EventListenerHook.class.getName()}, guard, null);
        lock.lock();
        try {
            registry.load();
            restoreDeployed();
        } finally {
            lock.unlock();
        }
        this.folder = new DeployFolder(data.resolve("deploy"), this, config.pollMillis());
        folder.scanOnce();
        folder.start();
        LOG.log(System.Logger.Level.INFO, "filter deployment serving: trust " + trust + ", deploy folder " + folder.dir());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        folder.close();
        fencer.shutdown();
        fencer.awaitTermination(10, TimeUnit.SECONDS);
        lock.lock();
        try {
            for (Bundle b : context.getBundles()) {
                if (b.getLocation().startsWith(PartnerGuard.LOCATION_PREFIX)) {
                    try {
                        b.stop();
                    } catch (BundleException | IllegalStateException e) {
                        LOG.log(System.Logger.Level.WARNING, "stopping " + b.getSymbolicName() + ": " + e.getMessage());
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        try {
            hooks.unregister();
        } catch (IllegalStateException ignored) {
            // the framework unregistered it already
        }
    }

    // ---- FilterBundles ------------------------------------------------------------------------------

    @Override
    public DeployedBundle deploy(Path source, Map<String, String> certification) throws DeployException {
        Map<String, String> settings = Map.copyOf(certification);
        return staged(source, "deploy", (staged, fileName) -> admit(staged, fileName, settings));
    }

    /** What runs on a staged copy of a bundle file, under the lock. */
    @FunctionalInterface
    private interface StagedWork<T> {
        T run(Path staged, String fileName) throws IOException, BundleException, DeployException;
    }

    /** Copy {@code source} into staging and run {@code work} on the copy under the lock; the copy goes afterwards. */
    private <T> T staged(Path source, String what, StagedWork<T> work) throws DeployException {
        Path src = source.toAbsolutePath();
        if (!Files.isRegularFile(src)) {
            throw new DeployException(Reason.INVALID, src + " is not a regular file");
        }
        lock.lock();
        try {
            Path staged = stage(src);
            try {
                return work.run(staged, src.getFileName().toString());
            } finally {
                Files.deleteIfExists(staged);
            }
        } catch (IOException | BundleException e) {
            throw new DeployException(Reason.IO, "cannot " + what + " " + src + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<DeployedBundle> list() {
        lock.lock();
        try {
            List<DeployedBundle> out = new ArrayList<>();
            for (Entry e : registry.all()) {
                Bundle b = e.state() == BundleState.ACTIVE ? context.getBundle(location(e)) : null;
                out.add((b == null ? e : e.withFilters(filtersOf(b))).view());
                for (Entry previous : registry.retained(e.symbolicName())) {
                    List<String> verdict = new ArrayList<>();
                    verdict.add("upgrade: superseded by " + e.version() + "; kept while disks still use it (run the"
                            + " upgrade again to move them)");
                    verdict.addAll(previous.verdict());
                    out.add(previous.with(previous.state(), previous.judgedAt(), verdict).view());
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public DeployedBundle undeploy(String symbolicName) throws DeployException {
        lock.lock();
        try {
            Entry e = registry.deployed(symbolicName);
            if (e == null) {
                boolean refused = registry.all().stream().anyMatch(x -> x.symbolicName().equals(symbolicName));
                if (!refused) {
                    throw new DeployException(Reason.NOT_FOUND, "no bundle '" + symbolicName + "' is deployed");
                }
                registry.remove(symbolicName); // forget a refusal
                return null;
            }
            Bundle b = context.getBundle(location(e));
            Set<String> names = new TreeSet<>(e.filters());
            if (b != null) {
                names.addAll(filtersOf(b));
            }
            List<String> users = new ArrayList<>();
            for (DiskInfo d : disks.list()) {
                for (FilterAttachment f : d.spec().filters()) {
                    if (names.contains(f.filterName())) {
                        users.add(d.spec().id() + " (" + f.filterName() + ")");
                    }
                }
            }
            if (!users.isEmpty()) {
                throw new DeployException(Reason.BUSY, "bundle '" + symbolicName + "' provides filters in use by disk(s) "
                        + String.join(", ", users) + "; detach them first", users);
            }
            for (Entry previous : registry.retained(symbolicName)) {
                uninstall(previous);
                registry.removeRetained(previous);
            }
            uninstall(e);
            registry.remove(symbolicName);
            LOG.log(System.Logger.Level.INFO, "undeployed " + symbolicName + " " + e.version());
            return e.view();
        } catch (BundleException | IOException ex) {
            throw new DeployException(Reason.IO, "cannot undeploy " + symbolicName + ": " + ex.getMessage());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public BundleUpgrade upgrade(Path source, Map<String, String> certification, Consumer<FilterMove> progress)
            throws DeployException {
        Map<String, String> settings = Map.copyOf(certification);
        return staged(source, "upgrade with", (staged, fileName) ->
                upgradeFrom(staged, fileName, settings, progress == null ? m -> { } : progress));
    }

    private BundleUpgrade upgradeFrom(Path staged, String fileName, Map<String, String> settings,
                                      Consumer<FilterMove> progress)
            throws IOException, BundleException, DeployException {
        Judgement j = pipeline.judge(staged);
        java.time.Instant now = java.time.Instant.now();
        if (!j.accepted()) {
            LOG.log(System.Logger.Level.WARNING, "upgrade refused " + fileName + ": " + String.join("; ", j.reasons()));
            throw refused(describe(j, fileName), j.reasons());
        }
        String name = j.symbolicName();
        Entry current = registry.deployed(name);
        if (current == null || current.state() != BundleState.ACTIVE) {
            throw new DeployException(Reason.NOT_FOUND, "no active bundle '" + name + "' is deployed to upgrade"
                    + (current == null ? "; deploy it instead" : " (it is " + current.state() + ")"));
        }
        if (current.sha256().equals(j.sha256())) {
            // the same version again: retry the disks an earlier run could not move
            return moveDisks(current, progress);
        }
        Version from = Version.parseVersion(current.version());
        Version to;
        try {
            to = Version.parseVersion(j.version());
        } catch (IllegalArgumentException e) {
            throw new DeployException(Reason.INVALID, describe(j, fileName) + ": Bundle-Version '" + j.version()
                    + "' is not a valid OSGi version");
        }
        if (to.compareTo(from) <= 0) {
            throw new DeployException(Reason.INVALID, "'" + name + "' " + current.version() + " is deployed; an"
                    + " upgrade needs a higher Bundle-Version, " + fileName + " has " + j.version());
        }
        Certification.Outcome certified = certification.certify(staged, registry.reportFolder(name, j.sha256()), settings);
        if (!certified.passed()) {
            LOG.log(System.Logger.Level.WARNING, "upgrade refused " + fileName + ": " + String.join("; ", certified.lines()));
            throw refused(describe(j, fileName), certified.lines());
        }
        j = j.withChecks(certified.lines());
        String file = name + "-" + j.sha256().substring(0, 16) + ".jar";
        Path stored = registry.bundleFolder().resolve(file);
        Files.createDirectories(registry.bundleFolder());
        Files.move(staged, stored, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.forceDirectory(registry.bundleFolder());
        Entry next = Entry.of(j, file, BundleState.ACTIVE, now, fileName).withCertification(settings);
        List<String> failure = install(next, stored);
        if (!failure.isEmpty()) {
            AtomicFiles.delete(stored);
            throw refused(describe(j, fileName), failure);
        }
        // the new version runs beside the old one; it must offer every filter the old one offers
        Bundle oldBundle = context.getBundle(location(current));
        List<String> needed = oldBundle == null ? current.filters() : filtersOf(oldBundle);
        Bundle newBundle = context.getBundle(location(next));
        List<String> missing = awaitFilters(newBundle, needed);
        if (!missing.isEmpty()) {
            uninstall(next);
            throw new DeployException(Reason.INVALID, "'" + name + "' " + j.version() + " does not offer filter(s) "
                    + missing + " that " + current.version() + " provides; nothing was upgraded", missing);
        }
        registry.upgraded(next.withFilters(filtersOf(newBundle)), current.withFilters(needed));
        LOG.log(System.Logger.Level.INFO, "upgrading " + name + " " + current.version() + " -> " + j.version()
                + " signed by " + j.signer());
        return moveDisks(registry.deployed(name), progress);
    }

    /** Wait until {@code bundle} registers every filter in {@code needed}; returns those still missing. */
    private static List<String> awaitFilters(Bundle bundle, List<String> needed) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FACTORY_WAIT_MILLIS);
        while (true) {
            List<String> missing = new ArrayList<>(needed);
            if (bundle != null) {
                missing.removeAll(filtersOf(bundle));
            }
            if (missing.isEmpty() || System.nanoTime() > end) {
                return missing;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return missing;
            }
        }
    }

    /**
     * Move every disk still served by an earlier retained version of {@code next} onto {@code next}; uninstall each
     * earlier version no disk uses any more.
     */
    private BundleUpgrade moveDisks(Entry next, Consumer<FilterMove> progress) throws IOException, BundleException {
        List<Entry> earlier = registry.retained(next.symbolicName());
        Set<String> filters = new TreeSet<>();
        earlier.forEach(e -> filters.addAll(e.filters()));
        List<FilterMove> moves = new ArrayList<>();
        for (String filter : filters) {
            try {
                moves.addAll(disks.upgradeFilter(filter, progress));
            } catch (DiskException e) {
                LOG.log(System.Logger.Level.ERROR, "upgrade of filter '" + filter + "': " + e.getMessage());
            }
        }
        List<String> still = new ArrayList<>();
        boolean removedAll = true;
        for (Entry old : earlier) {
            List<String> users = usersOf(old);
            if (users.isEmpty()) {
                uninstall(old);
                registry.removeRetained(old);
                LOG.log(System.Logger.Level.INFO, next.symbolicName() + " " + old.version() + " removed: every disk"
                        + " uses " + next.version());
            } else {
                removedAll = false;
                still.addAll(users);
                LOG.log(System.Logger.Level.WARNING, "upgrade of " + next.symbolicName() + " to " + next.version()
                        + " unfinished: " + users + " still use " + old.version());
            }
        }
        String previous = earlier.isEmpty() ? next.version() : earlier.get(earlier.size() - 1).version();
        return new BundleUpgrade(next.view(), previous, moves, still, removedAll && !earlier.isEmpty());
    }

    /** The disks (and filter) whose instances come from an installed bundle version. */
    private List<String> usersOf(Entry e) {
        Bundle b = context.getBundle(location(e));
        if (b == null) {
            return List.of();
        }
        String origin = b.getSymbolicName() + " " + b.getVersion();
        List<String> users = new ArrayList<>();
        for (FilterInfo f : disks.filters()) {
            if (f.bundle().equals(origin)) {
                f.disks().forEach(d -> users.add(d + " (" + f.filterName() + ")"));
            }
        }
        return users;
    }

    /** Uninstall a stored bundle's installed copy and delete its stored file and reports. */
    private void uninstall(Entry e) throws IOException, BundleException {
        Bundle b = context.getBundle(location(e));
        if (b != null) {
            b.uninstall();
        }
        guard.forget(location(e));
        discardStored(e);
    }

    private void discardStored(Entry e) throws IOException {
        if (!e.file().isEmpty()) {
            AtomicFiles.delete(registry.bundleFolder().resolve(e.file()));
        }
        Registry.deleteTree(registry.reportFolder(e.symbolicName(), e.sha256()));
    }

    // ---- the pipeline -------------------------------------------------------------------------------

    /** Copy the source into the store's staging folder: what is judged is what is installed. */
    private Path stage(Path src) throws IOException, DeployException {
        long size = Files.size(src);
        if (size > MAX_BUNDLE_BYTES) {
            throw new DeployException(Reason.INVALID, src + " is " + size + " bytes; a filter bundle may be at most "
                    + MAX_BUNDLE_BYTES + " bytes");
        }
        Files.createDirectories(registry.stagingFolder());
        Path staged = registry.stagingFolder().resolve(UUID.randomUUID() + ".jar");
        Files.copy(src, staged, StandardCopyOption.REPLACE_EXISTING);
        return staged;
    }

    private DeployedBundle admit(Path staged, String fileName, Map<String, String> settings)
            throws IOException, DeployException {
        Judgement j = pipeline.judge(staged);
        java.time.Instant now = java.time.Instant.now();
        if (!j.accepted()) {
            registry.putRefusal(Entry.of(j, "", BundleState.REFUSED, now, fileName));
            LOG.log(System.Logger.Level.WARNING, "refused " + fileName + ": " + String.join("; ", j.reasons()));
            throw refused(describe(j, fileName), j.reasons());
        }
        Entry existing = registry.deployed(j.symbolicName());
        if (existing != null) {
            if (existing.sha256().equals(j.sha256()) && existing.state() == BundleState.ACTIVE) {
                return existing.view(); // the same bytes again: nothing to do
            }
            throw new DeployException(Reason.EXISTS, "bundle '" + j.symbolicName() + "' " + existing.version()
                    + " is deployed already (" + existing.state() + "); undeploy it first");
        }
        Certification.Outcome certified = certification.certify(staged, registry.reportFolder(j.symbolicName(), j.sha256()),
                settings);
        if (!certified.passed()) {
            registry.putRefusal(Entry.of(j, "", BundleState.REFUSED, now, fileName).with(BundleState.REFUSED, now,
                    certified.lines()));
            LOG.log(System.Logger.Level.WARNING, "refused " + fileName + ": " + String.join("; ", certified.lines()));
            throw refused(describe(j, fileName), certified.lines());
        }
        j = j.withChecks(certified.lines());
        String file = j.symbolicName() + "-" + j.sha256().substring(0, 16) + ".jar";
        Path stored = registry.bundleFolder().resolve(file);
        Files.createDirectories(registry.bundleFolder());
        Files.move(staged, stored, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.forceDirectory(registry.bundleFolder());
        Entry entry = Entry.of(j, file, BundleState.ACTIVE, now, fileName).withCertification(settings);
        List<String> failure = install(entry, stored);
        if (!failure.isEmpty()) {
            AtomicFiles.delete(stored);
            registry.putRefusal(entry.with(BundleState.REFUSED, now, failure));
            throw refused(describe(j, fileName), failure);
        }
        registry.putDeployed(entry);
        LOG.log(System.Logger.Level.INFO, "deployed " + j.symbolicName() + " " + j.version() + " signed by " + j.signer());
        return entry.view();
    }

    /** Install and start a judged bundle from its stored copy; returns why it failed, empty on success. */
    private List<String> install(Entry e, Path stored) {
        String location = location(e);
        Bundle stale = context.getBundle(location);
        try {
            if (stale != null) {
                stale.uninstall(); // left from an earlier activation of this component
            }
        } catch (BundleException ex) {
            return List.of("install: a stale copy could not be removed: " + ex.getMessage());
        }
        guard.admit(location, new PartnerGuard.Admission(e.symbolicName(), "PARTNER".equals(e.signerRole()),
                e.declared(), e.allowed(), PartnerPolicy.forClasses(e.declared())));
        Bundle b = null;
        try (InputStream in = Files.newInputStream(stored)) {
            b = context.installBundle(location, in);
            b.start();
            return List.of();
        } catch (BundleException | IOException | RuntimeException ex) {
            List<String> why = new ArrayList<>(guard.denials(location));
            if (why.isEmpty()) {
                why.add("install: " + oneLine(ex.getMessage()));
            }
            if (b != null) {
                try {
                    b.uninstall();
                } catch (BundleException | IllegalStateException ignored) {
                    // it is going away either way
                }
            }
            guard.forget(location);
            return why;
        }
    }

    /**
     * At activation: judge every recorded bundle again from its stored copy, then install what passes. An earlier
     * version kept by an unfinished upgrade comes back too while a disk stays on it (the catalog says so);
     * otherwise it is removed.
     */
    private void restoreDeployed() throws IOException {
        for (Entry old : registry.retained()) {
            List<String> pinned = pinnedTo(old);
            if (pinned.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, old.symbolicName() + " " + old.version() + ", kept by an unfinished"
                        + " upgrade, is removed: no disk stays on it");
                discardStored(old);
                registry.removeRetained(old);
                continue;
            }
            Entry back = restore(old);
            if (back.state() != BundleState.ACTIVE) {
                LOG.log(System.Logger.Level.ERROR, old.symbolicName() + " " + old.version() + ", which disk(s) " + pinned
                        + " stay on, was refused at start (" + String.join("; ", back.verdict()) + "); they wait until"
                        + " an upgrade moves them");
                discardStored(old);
                registry.removeRetained(old);
            } else {
                LOG.log(System.Logger.Level.INFO, old.symbolicName() + " " + old.version() + " is back for disk(s) "
                        + pinned + ", which an unfinished upgrade left on it");
            }
        }
        for (Entry e : registry.deployed()) {
            if (e.state() == BundleState.FENCED || e.state() == BundleState.REFUSED) {
                continue; // stays out until the operator undeploys it
            }
            registry.putDeployed(restore(e));
        }
    }

    /** The disks (and filter) the catalog keeps on {@code old}'s version of one of its filters. */
    private List<String> pinnedTo(Entry old) {
        Optional<Version> version = bundleVersion(old.version());
        List<String> out = new ArrayList<>();
        for (DiskInfo d : disks.list()) {
            for (FilterAttachment f : d.spec().filters()) {
                if (!f.version().isEmpty() && old.filters().contains(f.filterName())
                        && version.isPresent() && version.equals(bundleVersion(f.version()))) {
                    out.add(d.spec().id() + " (" + f.filterName() + ")");
                }
            }
        }
        return out;
    }

    /** {@code text} as a bundle version; empty when it is not one. */
    private static Optional<Version> bundleVersion(String text) {
        try {
            return Optional.of(Version.parseVersion(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Judge one recorded bundle again from its stored copy and install it when it passes; returns its new entry. */
    private Entry restore(Entry e) throws IOException {
        java.time.Instant now = java.time.Instant.now();
        Path stored = registry.bundleFolder().resolve(e.file());
        List<String> why;
        if (!Files.isRegularFile(stored)) {
            why = List.of("store: the stored copy " + stored + " is missing");
        } else {
            Judgement j = pipeline.judge(stored);
            if (!j.sha256().equals(e.sha256())) {
                why = List.of("store: the stored bundle changed on disk since it was deployed (sha256 now "
                        + j.sha256() + ", deployed " + e.sha256() + ")");
            } else if (!j.accepted()) {
                why = j.reasons();
            } else {
                List<String> certified = Certification.stored(registry.reportFolder(e.symbolicName(), e.sha256()),
                        e.sha256());
                if (certified.isEmpty()) {
                    Certification.Outcome again = certification.certify(stored,
                            registry.reportFolder(e.symbolicName(), e.sha256()), e.certification());
                    certified = again.passed() ? again.lines() : List.of();
                    if (!again.passed()) {
                        LOG.log(System.Logger.Level.ERROR, "deployed bundle " + e.symbolicName()
                                + " refused at start: " + String.join("; ", again.lines()));
                        return e.with(BundleState.REFUSED, now, again.lines());
                    }
                }
                e = Entry.of(j.withChecks(certified), e.file(), BundleState.ACTIVE, now, e.symbolicName())
                        .withCertification(e.certification());
                why = install(e, stored);
            }
        }
        if (why.isEmpty()) {
            return e;
        }
        LOG.log(System.Logger.Level.ERROR, "deployed bundle " + e.symbolicName() + " refused at start: "
                + String.join("; ", why));
        return e.with(BundleState.REFUSED, now, why);
    }

    /** A deployed bundle broke its admission at run time: hide (done by the guard), stop, record. */
    private void fence(PartnerGuard.Violation v) {
        lock.lock();
        try {
            Bundle b = context.getBundle(v.location());
            if (b != null) {
                try {
                    b.stop();
                } catch (BundleException | IllegalStateException e) {
                    LOG.log(System.Logger.Level.ERROR, "cannot stop fenced bundle " + v.symbolicName() + ": " + e.getMessage());
                }
            }
            Entry e = registry.deployed(v.symbolicName());
            if (e != null) {
                registry.putDeployed(e.with(BundleState.FENCED, java.time.Instant.now(), List.of("run time: " + v.message())));
            }
            LOG.log(System.Logger.Level.ERROR, "fenced " + v.symbolicName() + ": " + v.message());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot record the fencing of " + v.symbolicName() + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** Names of the filters a bundle registers. */
    private static List<String> filtersOf(Bundle b) {
        List<String> names = new ArrayList<>();
        ServiceReference<?>[] refs = b.getRegisteredServices();
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                if (r.getProperty(org.osgi.framework.Constants.OBJECTCLASS) instanceof String[] types
                        && List.of(types).contains(FilterFactory.class.getName())
                        && r.getProperty(FilterType.NAME) instanceof String n) {
                    names.add(n);
                }
            }
        }
        names.sort(null);
        return names;
    }

    private static String location(Entry e) {
        return PartnerGuard.location(e.symbolicName(), e.sha256());
    }

    /** The refusal: its message counts the reasons, which follow one per line. */
    private static DeployException refused(String what, List<String> reasons) {
        return new DeployException(Reason.REFUSED, "refused " + what + " for " + reasons.size()
                + (reasons.size() == 1 ? " reason:" : " reasons:"), reasons);
    }

    private static String describe(Judgement j, String fileName) {
        return j.symbolicName().isEmpty() ? fileName : j.symbolicName() + " " + j.version() + " (" + fileName + ")";
    }

    private static String require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("framework property " + name + " is not set");
        }
        return value;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
