package io.weir.vscsi.disk;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;

/** A pass-through filter that records what it sees into a shared journal, and can refuse chosen events. */
final class Probe implements Filter {
    final String name;
    final ConcurrentLinkedQueue<String> journal;
    volatile Predicate<ControlEvent.Kind> refuse = k -> false;

    Probe(String name, ConcurrentLinkedQueue<String> journal) {
        this.name = name;
        this.journal = journal;
    }

    static Disks.Builder add(Disks.Builder b, FilterClass c, ConcurrentLinkedQueue<String> journal, List<Probe> made) {
        String name = c.name().toLowerCase();
        FilterFactory f = ctx -> {
            Probe p = new Probe(name, journal);
            made.add(p);
            return p;
        };
        return b.filter(name, c, f, Map.of());
    }

    @Override
    public void handle(IoRequest request, IoChain chain) {
        journal.add(name + ":handle");
        chain.pass();
    }

    @Override
    public IoStatus completed(IoRequest request, IoStatus status) {
        journal.add(name + ":completed:" + (status.isOk() ? "ok" : status.error()));
        return status;
    }

    @Override
    public void onEvent(ControlEvent event) throws FilterRefusedException {
        journal.add(name + ":" + event.kind());
        if (refuse.test(event.kind())) {
            throw new FilterRefusedException("probe told to refuse");
        }
    }
}
