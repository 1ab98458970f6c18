package io.weir.admin.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import io.weir.filter.FilterClass;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskState;
import io.weir.vscsi.DiskStats;
import io.weir.vscsi.FilterAttachment;
import io.weir.vscsi.FilterInfo;
import io.weir.vscsi.LayerInfo;
import io.weir.vscsi.VirtualDisk;

/** A catalog in memory over {@link MemoryDisk}s, with one known filter, {@code passthrough}. */
public final class FakeDiskService implements DiskService {
    private final Map<String, DiskSpec> specs = new TreeMap<>();
    private final Map<String, MemoryDisk> open = new TreeMap<>();

    @Override
    public synchronized DiskInfo create(DiskSpec spec) throws DiskException {
        if (!spec.id().matches("[a-z0-9][a-z0-9_-]{0,63}")) {
            throw new DiskException(DiskException.Reason.INVALID, "bad disk id '" + spec.id() + "'");
        }
        if (specs.containsKey(spec.id())) {
            throw new DiskException(DiskException.Reason.EXISTS, "disk '" + spec.id() + "' exists already");
        }
        if (!spec.backendType().equals("memory")) {
            specs.put(spec.id(), spec); // defined, but no backend: waits
            return info(spec.id());
        }
        specs.put(spec.id(), spec);
        open.put(spec.id(), new MemoryDisk(spec.id(), Math.toIntExact(spec.capacity()), spec.blockSize(), false));
        return info(spec.id());
    }

    @Override
    public synchronized List<DiskInfo> list() {
        List<DiskInfo> out = new ArrayList<>();
        for (String id : specs.keySet()) {
            out.add(infoOf(id));
        }
        return out;
    }

    @Override
    public synchronized DiskInfo info(String id) throws DiskException {
        if (!specs.containsKey(id)) {
            throw new DiskException(DiskException.Reason.NOT_FOUND, "no disk '" + id + "'");
        }
        return infoOf(id);
    }

    private DiskInfo infoOf(String id) {
        DiskSpec spec = specs.get(id);
        boolean online = open.containsKey(id);
        List<LayerInfo> stack = spec.filters().stream()
                .map(f -> new LayerInfo(f.filterName(), FilterClass.INSPECTION, "fake 1.0", 0)).toList();
        return new DiskInfo(spec, online ? DiskState.ONLINE : DiskState.WAITING,
                online ? "" : "no backend provider of type '" + spec.backendType() + "'", Set.of(), stack,
                new DiskStats(0, 0, 0, 0, 0, 0, 0));
    }

    /** The in-memory disk behind {@code id}, for tests to inject faults. */
    public synchronized MemoryDisk memory(String id) {
        return open.get(id);
    }

    @Override
    public synchronized Optional<VirtualDisk> disk(String id) {
        return Optional.ofNullable(open.get(id));
    }

    @Override
    public synchronized DiskInfo grow(String id, long newCapacity) throws DiskException {
        DiskSpec spec = info(id).spec();
        if (newCapacity < spec.capacity()) {
            throw new DiskException(DiskException.Reason.INVALID, "disk '" + id + "' cannot shrink");
        }
        specs.put(id, spec.withCapacity(newCapacity));
        return info(id);
    }

    @Override
    public synchronized void delete(String id) throws DiskException {
        info(id);
        specs.remove(id);
        MemoryDisk d = open.remove(id);
        if (d != null) {
            d.close();
        }
    }

    @Override
    public synchronized DiskInfo attachFilter(String id, String filterName, Map<String, Object> config) throws DiskException {
        DiskSpec spec = info(id).spec();
        if (!filterName.equals("passthrough")) {
            throw new DiskException(DiskException.Reason.NOT_FOUND, "no filter '" + filterName + "'");
        }
        List<FilterAttachment> filters = new ArrayList<>(spec.filters());
        filters.add(new FilterAttachment(filterName, config));
        specs.put(id, spec.withFilters(filters));
        return info(id);
    }

    @Override
    public synchronized List<io.weir.vscsi.FilterMove> upgradeFilter(String filterName,
            java.util.function.Consumer<io.weir.vscsi.FilterMove> progress) throws DiskException {
        throw new DiskException(DiskException.Reason.NOT_FOUND, "this test service has no filter versions");
    }

    @Override
    public synchronized Reconfigured reconfigureFilter(String id, String filterName, Map<String, Object> config)
            throws DiskException {
        DiskSpec spec = info(id).spec();
        List<FilterAttachment> filters = new ArrayList<>();
        boolean found = false;
        for (FilterAttachment f : spec.filters()) {
            found |= f.filterName().equals(filterName);
            filters.add(f.filterName().equals(filterName) ? new FilterAttachment(filterName, config) : f);
        }
        if (!found) {
            throw new DiskException(DiskException.Reason.NOT_FOUND, "filter '" + filterName + "' is not attached to '" + id + "'");
        }
        specs.put(id, spec.withFilters(filters));
        return new Reconfigured(info(id), java.util.Optional.empty());
    }

    @Override
    public synchronized DiskInfo detachFilter(String id, String filterName, boolean eraseData) throws DiskException {
        DiskSpec spec = info(id).spec();
        List<FilterAttachment> filters = new ArrayList<>(spec.filters());
        if (!filters.removeIf(f -> f.filterName().equals(filterName))) {
            throw new DiskException(DiskException.Reason.NOT_FOUND, "filter '" + filterName + "' is not attached to '" + id + "'");
        }
        specs.put(id, spec.withFilters(filters));
        return info(id);
    }

    @Override
    public synchronized List<FilterInfo> filters() {
        List<String> attached = specs.values().stream()
                .filter(s -> s.filters().stream().anyMatch(f -> f.filterName().equals("passthrough")))
                .map(DiskSpec::id).toList();
        return List.of(new FilterInfo("passthrough", FilterClass.INSPECTION, "fake 1.0", attached));
    }

    /** Close every open disk. */
    public synchronized void close() {
        open.values().forEach(MemoryDisk::close);
    }
}
