package io.weir.vscsi.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import io.weir.backend.Backend;
import io.weir.backend.BackendProvider;
import io.weir.backend.BackendSpec;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.SettingsCheck;
import io.weir.vscsi.SwapReport;
import io.weir.vscsi.durable.AtomicFiles;
import io.weir.vscsi.DiskException.Reason;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.DiskStats;
import io.weir.vscsi.FilterAttachment;
import io.weir.vscsi.FilterInfo;
import io.weir.vscsi.FilterMove;
import io.weir.vscsi.VirtualDisk;
import io.weir.vscsi.disk.CorePools;
import io.weir.vscsi.disk.DiskImpl;
import io.weir.vscsi.disk.DiskValidation;
import io.weir.vscsi.disk.LayerSpec;
import io.weir.vscsi.store.Catalog;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The {@link DiskService}: keeps the catalog, opens each disk once its backend provider and every filter it
 * names are registered, and closes it (disk goes back to WAITING) when one of them leaves. All changes are
 * serialised by one lock; each is written to the catalog atomically before it is reported done, in the order
 * that leaves nothing dangling after a crash.
 */
@Component(service = DiskService.class, immediate = true, configurationPid = DiskManager.PID)
@Designate(ocd = DiskManager.Config.class)
public final class DiskManager implements DiskService {
    /** Configuration PID of the core. */
    public static final String PID = "io.weir.vscsi";
    /** Framework property naming the data directory when the configuration does not. */
    public static final String DATA_DIR_PROPERTY = "weir.data.dir";
    /** Framework property: create the demo disk on first start. */
    public static final String DEMO_PROPERTY = "weir.demo";

    private static final System.Logger LOG = System.getLogger("io.weir.vscsi");
    private static final Pattern FILTER_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    @ObjectClassDefinition(name = "Weir vSCSI core", description = "Virtual disks and their data path")
    public @interface Config {
        @AttributeDefinition(description = "Data directory; empty means the framework property weir.data.dir")
        String dataDir() default "";

        @AttributeDefinition(description = "Requests in flight per disk before submitters wait", min = "1", max = "65536")
        int maxQueueDepth() default 128;

        @AttributeDefinition(description = "Largest READ or WRITE in bytes", min = "4096")
        int maxRequestLength() default 32 << 20;

        @AttributeDefinition(description = "Deadline of each control event, of a drain, and of a request a filter holds deferred, in milliseconds; a filter that misses it is fenced", min = "100")
        long eventTimeoutMillis() default 30_000;
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Managed> disks = new TreeMap<>();
    /** Every installed provider of each filter name, newest first (see {@link #NEWEST_FIRST}). */
    private final Map<String, List<FactoryEntry>> factories = new HashMap<>();
    private final Map<String, BackendProvider> providers = new HashMap<>();

    private Path dataDir;
    private Catalog catalog;
    private CorePools pools;
    private int maxQueueDepth;
    private int maxRequestLength;
    private Duration eventTimeout;
    private boolean active;
    private String catalogProblem;

    private static final class Managed {
        DiskSpec spec;
        DiskImpl open;
        /** While open: which provider's instance serves each filter of the stack. */
        final Map<String, FactoryEntry> serving = new HashMap<>();
        DiskState state = DiskState.WAITING;
        String reason = "";

        Managed(DiskSpec spec) {
            this.spec = spec;
        }
    }

    private record FactoryEntry(String name, FilterClass filterClass, String origin, FilterFactory factory,
                                Bundle bundle, String componentName, Version version, long bundleId) {
    }

    /** The preferred provider of a name comes first: the highest bundle version, then the latest installed. */
    private static final Comparator<FactoryEntry> NEWEST_FIRST = Comparator.comparing(FactoryEntry::version)
            .thenComparingLong(FactoryEntry::bundleId).reversed();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile MetaTypeService metatype;

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        String dir = config.dataDir().isEmpty() ? context.getProperty(DATA_DIR_PROPERTY) : config.dataDir();
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("no data directory: set configuration " + PID + "/dataDir or the"
                    + " framework property " + DATA_DIR_PROPERTY);
        }
        lock.lock();
        try {
            dataDir = Paths.get(dir).toAbsolutePath();
            Files.createDirectories(dataDir);
            maxQueueDepth = config.maxQueueDepth();
            maxRequestLength = config.maxRequestLength();
            eventTimeout = Duration.ofMillis(config.eventTimeoutMillis());
            pools = CorePools.create("weir-");
            catalog = new Catalog(dataDir);
            boolean firstStart = !catalog.exists();
            try {
                for (DiskSpec spec : catalog.load()) {
                    disks.put(spec.id(), new Managed(spec));
                }
            } catch (IOException e) {
                catalogProblem = e.getMessage();
                LOG.log(System.Logger.Level.ERROR, catalogProblem);
            }
            if (firstStart && Boolean.parseBoolean(context.getProperty(DEMO_PROPERTY))) {
                DiskSpec demo = new DiskSpec("demo", 1L << 30, 512, "file", Map.of(),
                        List.of(new FilterAttachment("passthrough", Map.of())));
                disks.put(demo.id(), new Managed(demo));
                try {
                    saveCatalog();
                } catch (DiskException e) {
                    throw new IOException(e.getMessage(), e);
                }
                LOG.log(System.Logger.Level.INFO, "first start: defined demo disk (1 GiB, file backend, passthrough filter)");
            }
            active = true;
            reconcile();
        } finally {
            lock.unlock();
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        lock.lock();
        try {
            active = false;
            for (Managed m : disks.values()) {
                closeQuietly(m, DiskState.CLOSED, "runtime stopped");
            }
        } finally {
            lock.unlock();
        }
        pools.close();
    }

    // ---- service dynamics -----------------------------------------------------------------------

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindBackendProvider(BackendProvider provider, Map<String, Object> props) {
        Object type = props.get(BackendProvider.TYPE);
        if (!(type instanceof String t) || t.isBlank()) {
            LOG.log(System.Logger.Level.ERROR, "backend provider " + provider + " has no " + BackendProvider.TYPE
                    + " service property; ignored");
            return;
        }
        lock.lock();
        try {
            if (providers.putIfAbsent(t, provider) != null) {
                LOG.log(System.Logger.Level.ERROR, "a second backend provider of type '" + t + "' was ignored");
                return;
            }
            reconcile();
        } finally {
            lock.unlock();
        }
    }

    void unbindBackendProvider(BackendProvider provider, Map<String, Object> props) {
        lock.lock();
        try {
            Object type = props.get(BackendProvider.TYPE);
            if (!providers.remove(type, provider)) {
                return;
            }
            for (Managed m : disks.values()) {
                if (m.spec.backendType().equals(type)) {
                    closeQuietly(m, DiskState.WAITING, "backend type '" + type + "' went away");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindFilterFactory(ServiceReference<FilterFactory> ref, FilterFactory factory) {
        Object name = ref.getProperty(FilterType.NAME);
        Object cls = ref.getProperty(FilterType.CLASS);
        String origin = ref.getBundle() == null ? "?"
                : ref.getBundle().getSymbolicName() + " " + ref.getBundle().getVersion();
        if (!(name instanceof String n) || !FILTER_NAME.matcher(n).matches()) {
            LOG.log(System.Logger.Level.ERROR, "filter factory from " + origin + " has an invalid "
                    + FilterType.NAME + " '" + name + "' (1-64 lower-case letters, digits and '-'); ignored");
            return;
        }
        FilterClass filterClass;
        try {
            filterClass = FilterClass.valueOf(String.valueOf(cls));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "filter '" + n + "' from " + origin + " declares an unknown "
                    + FilterType.CLASS + " '" + cls + "'; ignored");
            return;
        }
        lock.lock();
        try {
            Object component = ref.getProperty("component.name");
            Bundle bundle = ref.getBundle();
            FactoryEntry entry = new FactoryEntry(n, filterClass, origin, factory, bundle,
                    component instanceof String c ? c : null, bundle == null ? Version.emptyVersion : bundle.getVersion(),
                    bundle == null ? -1 : bundle.getBundleId());
            List<FactoryEntry> providers = factories.computeIfAbsent(n, k -> new ArrayList<>());
            for (FactoryEntry prior : providers) {
                if (prior.filterClass() != filterClass) {
                    LOG.log(System.Logger.Level.ERROR, "filter '" + n + "' from " + origin + " ignored: it declares"
                            + " class " + filterClass + " but " + prior.origin() + " provides it as " + prior.filterClass());
                    return;
                }
                if (prior.bundleId() == entry.bundleId() && entry.bundleId() >= 0) {
                    LOG.log(System.Logger.Level.ERROR, "filter '" + n + "' from " + origin + " ignored: the bundle"
                            + " already provides that name");
                    return;
                }
            }
            providers.add(entry);
            providers.sort(NEWEST_FIRST);
            if (providers.size() > 1) {
                LOG.log(System.Logger.Level.INFO, "filter '" + n + "' is now provided by " + providers.stream()
                        .map(FactoryEntry::origin).toList() + "; new instances come from " + providers.get(0).origin());
            }
            reconcile();
        } finally {
            lock.unlock();
        }
    }

    void unbindFilterFactory(ServiceReference<FilterFactory> ref, FilterFactory factory) {
        lock.lock();
        try {
            if (!(ref.getProperty(FilterType.NAME) instanceof String name)) {
                return;
            }
            List<FactoryEntry> providers = factories.getOrDefault(name, List.of());
            FactoryEntry entry = providers.stream().filter(e -> e.factory() == factory).findFirst().orElse(null);
            if (entry == null) {
                return;
            }
            providers.remove(entry);
            if (providers.isEmpty()) {
                factories.remove(name);
            }
            for (Managed m : disks.values()) {
                if (m.open != null && m.serving.get(name) == entry) {
                    closeQuietly(m, DiskState.WAITING, "filter '" + name + "' (" + entry.origin() + ") went away");
                }
            }
            reconcile(); // a disk that lost its provider opens again with another version, if one is installed
        } finally {
            lock.unlock();
        }
    }

    // ---- DiskService ----------------------------------------------------------------------------

    @Override
    public DiskInfo create(DiskSpec spec) throws DiskException {
        lock.lock();
        try {
            requireActive();
            DiskValidation.checkId(spec.id());
            DiskValidation.checkGeometry(spec.id(), spec.capacity(), spec.blockSize());
            if (disks.containsKey(spec.id())) {
                throw new DiskException(Reason.EXISTS, "disk '" + spec.id() + "' exists already");
            }
            if (!providers.containsKey(spec.backendType())) {
                throw new DiskException(Reason.INVALID, "backend type '" + spec.backendType()
                        + "' is not available (available: " + String.join(", ", new TreeMap<>(providers).keySet()) + ")");
            }
            for (FilterAttachment f : spec.filters()) {
                checkSettings(requireFactory(f.filterName()), f.config());
            }
            Path dir = diskDirectory(spec.id());
            if (Files.exists(dir)) {
                LOG.log(System.Logger.Level.WARNING, "removing leftover storage of a disk named '" + spec.id()
                        + "' that is not in the catalog: " + dir);
                deleteTree(dir);
            }
            Managed m = new Managed(spec);
            open(m);
            if (m.open == null) {
                throw new DiskException(m.state == DiskState.FAILED ? Reason.REFUSED : Reason.INVALID, m.reason);
            }
            disks.put(spec.id(), m);
            try {
                saveCatalog();
            } catch (DiskException e) {
                disks.remove(spec.id());
                closeQuietly(m, DiskState.CLOSED, "catalog write failed");
                destroyStorage(m.spec);
                throw e;
            }
            return infoOf(m);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<DiskInfo> list() {
        lock.lock();
        try {
            return disks.values().stream().map(this::infoOf).toList();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public DiskInfo info(String id) throws DiskException {
        lock.lock();
        try {
            return infoOf(managed(id));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<VirtualDisk> disk(String id) {
        lock.lock();
        try {
            Managed m = disks.get(id);
            return m == null || m.open == null ? Optional.empty() : Optional.of(m.open);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public DiskInfo grow(String id, long newCapacity) throws DiskException {
        lock.lock();
        try {
            requireActive();
            Managed m = managed(id);
            if (m.open == null) {
                throw new DiskException(Reason.BUSY, "disk '" + id + "' is " + m.state + " (" + m.reason
                        + "); it can only grow while online");
            }
            // Backend first, catalog second, capacity visible last: after a crash in between, the backend is
            // larger than the catalog says (which opens safely at the old capacity) and no guest ever wrote
            // beyond the capacity the catalog records.
            m.open.prepareGrow(newCapacity, eventTimeout);
            DiskImpl disk = m.open;
            record(m, m.spec.withCapacity(newCapacity), disk::abortGrow);
            disk.commitGrow(newCapacity);
            return infoOf(m);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void delete(String id) throws DiskException {
        lock.lock();
        try {
            requireActive();
            Managed m = managed(id);
            disks.remove(id);
            try {
                saveCatalog();
            } catch (DiskException e) {
                disks.put(id, m);
                throw e;
            }
            closeQuietly(m, DiskState.CLOSED, "deleted");
            destroyStorage(m.spec);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public DiskInfo attachFilter(String id, String filterName, Map<String, Object> config) throws DiskException {
        lock.lock();
        try {
            requireActive();
            Managed m = managed(id);
            FactoryEntry entry = requireFactory(filterName);
            checkSettings(entry, config);
            if (uses(m.spec, filterName)) {
                throw new DiskException(Reason.EXISTS, "disk '" + id + "' already has filter '" + filterName + "'");
            }
            for (FilterAttachment f : m.spec.filters()) {
                FactoryEntry other = preferred(f.filterName());
                if (other != null && other.filterClass() == entry.filterClass()) {
                    throw new DiskException(Reason.INVALID, "disk '" + id + "' already has a " + entry.filterClass()
                            + " filter ('" + f.filterName() + "'); one filter per class");
                }
            }
            List<FilterAttachment> next = new ArrayList<>(m.spec.filters());
            next.add(new FilterAttachment(filterName, config));
            DiskSpec nextSpec = m.spec.withFilters(next);
            if (m.open != null) {
                m.open.attachLive(layerSpec(entry, config), eventTimeout);
                m.serving.put(filterName, entry);
            }
            record(m, nextSpec, () -> {
                if (m.open != null) {
                    detachQuietly(m, filterName);
                    m.serving.remove(filterName);
                }
            });
            if (m.open == null) {
                open(m);
            }
            return infoOf(m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DiskException(Reason.BUSY, "interrupted while attaching filter '" + filterName + "'");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Reconfigured reconfigureFilter(String id, String filterName, Map<String, Object> config) throws DiskException {
        lock.lock();
        try {
            requireActive();
            Managed m = managed(id);
            FilterAttachment current = attachment(m.spec, filterName).orElseThrow(() -> new DiskException(
                    Reason.NOT_FOUND, "disk '" + id + "' has no filter '" + filterName + "'"));
            // new settings, same version: the provider serving the live disk, else the one the disk asks for
            FactoryEntry asked = providerFor(current);
            FactoryEntry entry = m.open != null && m.serving.containsKey(filterName) ? m.serving.get(filterName)
                    : asked != null ? asked : requireFactory(filterName);
            checkSettings(entry, config);
            List<FilterAttachment> next = new ArrayList<>();
            Map<String, Object> old = Map.of();
            for (FilterAttachment f : m.spec.filters()) {
                if (f.filterName().equals(filterName)) {
                    old = f.config();
                    next.add(new FilterAttachment(filterName, config, f.version()));
                } else {
                    next.add(f);
                }
            }
            Optional<SwapReport> swap = Optional.empty();
            if (m.open != null) {
                swap = Optional.of(m.open.swapLive(layerSpec(entry, config), eventTimeout));
            }
            // the catalog follows the live disk; if it cannot be written, the old settings come back live too
            Map<String, Object> previous = old;
            record(m, m.spec.withFilters(next), () -> {
                if (m.open != null) {
                    try {
                        m.open.swapLive(layerSpec(entry, previous), eventTimeout);
                    } catch (DiskException e) {
                        LOG.log(System.Logger.Level.ERROR, "disk '" + id + "': could not restore the settings of"
                                + " filter '" + filterName + "' after the catalog failed: " + e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            if (m.open == null) {
                open(m);
            }
            return new Reconfigured(infoOf(m), swap);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DiskException(Reason.BUSY, "interrupted while reconfiguring filter '" + filterName + "'");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<FilterMove> upgradeFilter(String filterName, Consumer<FilterMove> progress) throws DiskException {
        lock.lock();
        try {
            requireActive();
            FactoryEntry target = requireFactory(filterName);
            List<FilterMove> moves = new ArrayList<>();
            for (Managed m : disks.values()) {
                if (!uses(m.spec, filterName)) {
                    continue;
                }
                FactoryEntry from = m.open == null ? null : m.serving.get(filterName);
                if (from == target) {
                    continue; // already on the newest version
                }
                FilterMove move = move(m, filterName, from, target);
                moves.add(move);
                LOG.log(move.moved() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "disk '" + move.diskId()
                        + "': filter '" + filterName + "' " + (move.moved() ? "moved" : "did not move") + " from "
                        + move.from() + " to " + move.to() + (move.moved() ? "" : ": " + move.failure()));
                if (progress != null) {
                    progress.accept(move);
                }
            }
            return moves;
        } finally {
            lock.unlock();
        }
    }

    /** Move one disk's instance of a filter to {@code target}'s version; a failure leaves the old instance serving. */
    private FilterMove move(Managed m, String filterName, FactoryEntry from, FactoryEntry target) {
        String id = m.spec.id();
        String fromOrigin = from == null ? "(disk not open: " + m.state + ")" : from.origin();
        if (m.open == null) {
            pin(m, filterName, target); // it opens with the new version
            return new FilterMove(id, filterName, fromOrigin, target.origin(), Optional.empty(), "");
        }
        Map<String, Object> config = attachment(m.spec, filterName).orElseThrow().config();
        try {
            checkSettings(target, config);
            SwapReport report = m.open.swapLive(layerSpec(target, config), eventTimeout);
            m.serving.put(filterName, target);
            pin(m, filterName, target);
            return new FilterMove(id, filterName, fromOrigin, target.origin(), Optional.of(report), "");
        } catch (DiskException e) {
            pin(m, filterName, from); // it stays on its version, also across a restart
            return new FilterMove(id, filterName, fromOrigin, target.origin(), Optional.empty(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new FilterMove(id, filterName, fromOrigin, target.origin(), Optional.empty(),
                    "interrupted before the swap");
        }
    }

    @Override
    public DiskInfo detachFilter(String id, String filterName, boolean eraseData) throws DiskException {
        lock.lock();
        try {
            requireActive();
            Managed m = managed(id);
            if (!uses(m.spec, filterName)) {
                throw new DiskException(Reason.NOT_FOUND, "disk '" + id + "' has no filter '" + filterName + "'");
            }
            if (!eraseData) {
                guardStoredData(m, filterName);
            }
            List<FilterAttachment> next = new ArrayList<>(m.spec.filters());
            next.removeIf(f -> f.filterName().equals(filterName));
            record(m, m.spec.withFilters(next), () -> { });
            if (m.open != null) {
                m.open.detachLive(filterName, eventTimeout);
                m.serving.remove(filterName);
                m.open.sidecars().remove(filterName);
            } else {
                open(m);
            }
            return infoOf(m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DiskException(Reason.BUSY, "interrupted while detaching filter '" + filterName + "'");
        } catch (IOException e) {
            throw new DiskException(Reason.IO, "disk '" + id + "': filter '" + filterName
                    + "' detached but its sidecar could not be removed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Refuse to detach a filter whose removal would leave the disk's data unreadable (see DiskService). */
    private void guardStoredData(Managed m, String filterName) throws DiskException {
        Path sidecars = diskDirectory(m.spec.id()).resolve("sidecars");
        boolean blank = m.open != null ? m.open.blank() : DiskImpl.markedBlank(sidecars);
        if (blank) {
            return;
        }
        FactoryEntry e = m.serving.containsKey(filterName) ? m.serving.get(filterName) : preferred(filterName);
        FilterClass c = e == null ? null : e.filterClass();
        boolean storesData = c == FilterClass.ENCRYPTION || c == FilterClass.COMPRESSION
                || c == null && Files.exists(sidecars.resolve(filterName + ".sidecar"));
        if (storesData) {
            throw new DiskException(Reason.REFUSED, "disk '" + m.spec.id() + "' holds data stored through filter '"
                    + filterName + "' (" + (c == null ? "not installed, class unknown, keeps a sidecar" : c) + "):"
                    + " detaching it leaves the guest reading what the filter stored and deletes its sidecar (keys,"
                    + " maps), so the data is lost; detach with erase to accept that");
        }
    }

    @Override
    public List<FilterInfo> filters() {
        lock.lock();
        try {
            List<FilterInfo> out = new ArrayList<>();
            factories.values().stream()
                    .sorted(Comparator.comparingInt((List<FactoryEntry> l) -> l.get(0).filterClass().order())
                            .thenComparing(l -> l.get(0).name()))
                    .forEach(providers -> {
                        for (FactoryEntry f : providers) {
                            out.add(new FilterInfo(f.name(), f.filterClass(), f.origin(), disks.values().stream()
                                    .filter(m -> uses(m.spec, f.name()) && servedBy(m, f))
                                    .map(m -> m.spec.id()).toList()));
                        }
                    });
            return out;
        } finally {
            lock.unlock();
        }
    }

    // ---- internals ------------------------------------------------------------------------------

    private void requireActive() throws DiskException {
        if (!active) {
            throw new DiskException(Reason.BUSY, "the disk service is stopping");
        }
        if (catalogProblem != null) {
            throw new DiskException(Reason.IO, catalogProblem);
        }
    }

    private Managed managed(String id) throws DiskException {
        Managed m = disks.get(id);
        if (m == null) {
            throw new DiskException(Reason.NOT_FOUND, "no disk named '" + id + "'");
        }
        return m;
    }

    /** The provider a new instance of {@code name} comes from, or null when none is installed. */
    private FactoryEntry preferred(String name) {
        List<FactoryEntry> providers = factories.get(name);
        return providers == null || providers.isEmpty() ? null : providers.get(0);
    }

    /** The provider an attachment asks for: the newest, or the version the disk stays on; null when not installed. */
    private FactoryEntry providerFor(FilterAttachment f) {
        if (f.version().isEmpty()) {
            return preferred(f.filterName());
        }
        Version want = parsedOrNull(f.version());
        return want == null ? null : factories.getOrDefault(f.filterName(), List.of()).stream().filter(e -> e.version().equals(want))
                .findFirst().orElse(null);
    }

    /**
     * Record in the catalog which version serves the disk's filter: nothing when it is the newest installed one,
     * else that version, so a restart opens the disk with it. A catalog failure is logged: the live disk is right,
     * only its next open would pick the newest version.
     */
    private void pin(Managed m, String filterName, FactoryEntry serving) {
        if (serving == null) {
            return;
        }
        String version = serving == preferred(filterName) ? "" : serving.version().toString();
        List<FilterAttachment> next = m.spec.filters().stream()
                .map(f -> f.filterName().equals(filterName) ? f.withVersion(version) : f).toList();
        if (next.equals(m.spec.filters())) {
            return;
        }
        try {
            record(m, m.spec.withFilters(next), () -> { });
        } catch (DiskException e) {
            LOG.log(System.Logger.Level.ERROR, "disk '" + m.spec.id() + "': which version of filter '" + filterName
                    + "' serves it could not be recorded: " + e.getMessage());
        }
    }

    /**
     * Whether the disk's instance of the filter comes from {@code f}: a closed disk counts for the version it asks
     * for (the one it stays on, or the newest).
     */
    private boolean servedBy(Managed m, FactoryEntry f) {
        FactoryEntry serving = m.open == null ? null : m.serving.get(f.name());
        if (serving != null) {
            return serving == f;
        }
        return attachment(m.spec, f.name()).map(a -> providerFor(a) == f).orElse(false);
    }

    private static Version parsedOrNull(String version) {
        try {
            return Version.parseVersion(version);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private FactoryEntry requireFactory(String name) throws DiskException {
        FactoryEntry e = preferred(name);
        if (e == null) {
            throw new DiskException(Reason.NOT_FOUND, "no filter named '" + name + "' is installed");
        }
        return e;
    }

    /** Check settings against the Metatype the filter's bundle declares for its factory, when it declares one. */
    private void checkSettings(FactoryEntry entry, Map<String, Object> settings) throws DiskException {
        MetaTypeService service = metatype;
        if (service == null || entry.bundle() == null || entry.componentName() == null) {
            return;
        }
        org.osgi.service.metatype.ObjectClassDefinition ocd;
        try {
            MetaTypeInformation info = service.getMetaTypeInformation(entry.bundle());
            ocd = info == null ? null : info.getObjectClassDefinition(entry.componentName(), null);
        } catch (IllegalArgumentException e) {
            return; // the bundle declares no settings for this factory
        }
        if (ocd != null) {
            SettingsCheck.check("filter '" + entry.name() + "'", ocd, settings);
        }
    }

    private static boolean uses(DiskSpec spec, String filterName) {
        return attachment(spec, filterName).isPresent();
    }

    /** The disk's attachment of {@code filterName}, if it has one. */
    private static Optional<FilterAttachment> attachment(DiskSpec spec, String filterName) {
        return spec.filters().stream().filter(f -> f.filterName().equals(filterName)).findFirst();
    }

    private static LayerSpec layerSpec(FactoryEntry e, Map<String, Object> config) {
        return new LayerSpec(e.name(), e.filterClass(), e.origin(), e.factory(), config);
    }

    /** Open every disk that is waiting and can be opened now. */
    private void reconcile() {
        if (!active) {
            return;
        }
        for (Managed m : disks.values()) {
            if (m.open == null && m.state != DiskState.CLOSED) {
                open(m);
            }
        }
    }

    /** Try to open one disk; on failure record why in its state. */
    private void open(Managed m) {
        DiskSpec spec = m.spec;
        try {
            DiskValidation.checkId(spec.id());
            DiskValidation.checkGeometry(spec.id(), spec.capacity(), spec.blockSize());
        } catch (DiskException e) {
            m.state = DiskState.FAILED;
            m.reason = e.getMessage();
            return;
        }
        BackendProvider provider = providers.get(spec.backendType());
        if (provider == null) {
            m.state = DiskState.WAITING;
            m.reason = "backend type '" + spec.backendType() + "' is not available";
            return;
        }
        List<LayerSpec> layers = new ArrayList<>();
        Map<String, FactoryEntry> serving = new HashMap<>();
        for (FilterAttachment f : spec.filters()) {
            FactoryEntry e = providerFor(f);
            if (e == null) {
                m.state = DiskState.WAITING;
                m.reason = f.version().isEmpty() ? "filter '" + f.filterName() + "' is not installed"
                        : "filter '" + f.filterName() + "' version " + f.version() + ", which this disk stays on until"
                                + " an upgrade moves it, is not installed";
                return;
            }
            layers.add(layerSpec(e, f.config()));
            serving.put(f.filterName(), e);
        }
        Path dir = diskDirectory(spec.id());
        Backend backend;
        try {
            Files.createDirectories(dir.resolve("backend"));
            Files.createDirectories(dir.resolve("sidecars"));
            backend = provider.open(backendSpec(spec));
        } catch (IOException | RuntimeException e) {
            m.state = DiskState.FAILED;
            m.reason = "backend '" + spec.backendType() + "' could not open: " + e.getMessage();
            LOG.log(System.Logger.Level.ERROR, "disk '" + spec.id() + "': " + m.reason, e);
            return;
        }
        try {
            m.open = DiskImpl.open(spec, maxQueueDepth, maxRequestLength, backend, layers, pools,
                    dir.resolve("sidecars"), eventTimeout);
            m.state = DiskState.ONLINE;
            m.reason = "";
            m.serving.clear();
            m.serving.putAll(serving);
            LOG.log(System.Logger.Level.INFO, "disk '" + spec.id() + "' online: " + m.open.current());
        } catch (DiskException e) {
            m.state = DiskState.FAILED;
            m.reason = e.getMessage();
            LOG.log(System.Logger.Level.ERROR, m.reason);
            try {
                backend.close();
            } catch (IOException | RuntimeException ce) {
                LOG.log(System.Logger.Level.WARNING, "disk '" + spec.id() + "': backend close failed", ce);
            }
        }
    }

    private BackendSpec backendSpec(DiskSpec spec) {
        return new BackendSpec(spec.id(), spec.capacity(), spec.blockSize(),
                diskDirectory(spec.id()).resolve("backend"), spec.backendOptions());
    }

    private void closeQuietly(Managed m, DiskState next, String why) {
        if (m.open != null) {
            try {
                m.open.close();
            } catch (DiskException e) {
                LOG.log(System.Logger.Level.ERROR, e.getMessage(), e);
            }
            m.open = null;
            m.serving.clear();
        }
        m.state = next;
        m.reason = why;
    }

    private void detachQuietly(Managed m, String filterName) {
        try {
            m.open.detachLive(filterName, eventTimeout);
        } catch (DiskException e) {
            LOG.log(System.Logger.Level.ERROR, e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void destroyStorage(DiskSpec spec) {
        BackendProvider provider = providers.get(spec.backendType());
        try {
            if (provider != null) {
                provider.destroy(backendSpec(spec));
            }
            deleteTree(diskDirectory(spec.id()));
        } catch (DiskException | IOException e) {
            LOG.log(System.Logger.Level.ERROR, "disk '" + spec.id() + "' was deleted from the catalog but its"
                    + " storage could not be removed: " + e.getMessage(), e);
        }
    }

    private Path diskDirectory(String id) {
        return dataDir.resolve("disks").resolve(id);
    }

    /**
     * Make {@code next} the disk's definition and write the catalog; if the write fails, restore the previous
     * definition, run {@code undo} (which reverts whatever was already done to the live disk) and rethrow.
     */
    private void record(Managed m, DiskSpec next, Runnable undo) throws DiskException {
        DiskSpec prior = m.spec;
        m.spec = next;
        try {
            saveCatalog();
        } catch (DiskException e) {
            m.spec = prior;
            undo.run();
            throw e;
        }
    }

    private void saveCatalog() throws DiskException {
        List<DiskSpec> specs = new ArrayList<>();
        for (Managed m : disks.values()) {
            specs.add(m.spec);
        }
        try {
            catalog.save(specs);
        } catch (IOException e) {
            throw new DiskException(Reason.IO, "could not write the catalog " + catalog.file() + ": "
                    + e.getMessage(), e);
        }
    }

    private DiskInfo infoOf(Managed m) {
        if (m.open != null) {
            DiskInfo live = m.open.info();
            return new DiskInfo(m.spec, live.state(), live.reason(), live.capabilities(), live.stack(), live.stats());
        }
        return new DiskInfo(m.spec, m.state, m.reason, Set.of(), List.of(),
                new DiskStats(0, 0, 0, 0, 0, 0, 0));
    }

    private static void deleteTree(Path dir) throws DiskException {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            throw new DiskException(Reason.IO, "could not remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
