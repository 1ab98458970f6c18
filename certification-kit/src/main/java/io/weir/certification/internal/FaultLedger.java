package io.weir.certification.internal;

import java.util.ArrayList;
import java.util.List;

/** Every fault or fence the core reported against the candidate on any kit disk of a run, by check. */
public final class FaultLedger {
    /** The candidate's condition on one disk when the kit closed it. */
    public record Entry(String checkId, String diskId, long faults, String fenced, String lastReason) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private int disks;

    /** Note the candidate's condition on one disk. */
    public synchronized void record(Entry e) {
        disks++;
        if (e.faults() > 0 || !e.fenced().isEmpty()) {
            entries.add(e);
        }
    }

    /** Disks with faults or a fence. */
    public synchronized List<Entry> faulty() {
        return List.copyOf(entries);
    }

    /** How many disks were looked at. */
    public synchronized int disks() {
        return disks;
    }
}
