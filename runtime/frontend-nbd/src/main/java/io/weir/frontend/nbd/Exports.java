package io.weir.frontend.nbd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.VirtualDisk;

/** What the server exports: names, and the disk behind each one that is serving now. */
interface Exports {
    /** The names of the exports that serve now, sorted. */
    List<String> names();

    /** The disk behind {@code name}, or {@code null} when there is none or it does not serve. */
    VirtualDisk find(String name);

    /** Every disk of {@code service} that is open (serving), named by its id. */
    static Exports of(DiskService service) {
        return new Exports() {
            @Override
            public List<String> names() {
                List<String> names = new ArrayList<>();
                for (DiskInfo info : service.list()) {
                    String id = info.spec().id();
                    if (service.disk(id).isPresent()) {
                        names.add(id);
                    }
                }
                return names;
            }

            @Override
            public VirtualDisk find(String name) {
                return name.isEmpty() ? null : service.disk(name).orElse(null);
            }
        };
    }

    /** A fixed set of disks (tests, embedding without OSGi). */
    static Exports of(Map<String, ? extends VirtualDisk> disks) {
        Map<String, VirtualDisk> copy = new TreeMap<>(disks);
        return new Exports() {
            @Override
            public List<String> names() {
                return List.copyOf(copy.keySet());
            }

            @Override
            public VirtualDisk find(String name) {
                return copy.get(name);
            }
        };
    }
}
