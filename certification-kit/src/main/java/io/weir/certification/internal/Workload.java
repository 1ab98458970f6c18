package io.weir.certification.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A randomized, concurrent, mixed workload (READ, WRITE with and without FUA, FLUSH, UNMAP, WRITE_ZEROES)
 * checked against a model of the disk. Requests in flight never overlap, so every unit's contents are
 * determined by the requests that completed before: a read must return the last completed write (or zeros
 * after WRITE_ZEROES; zeros or the old data after UNMAP).
 */
public final class Workload {
    /** Size of the units the model tracks and requests are made of. */
    public static final int UNIT = 4096;
    private static final int MAX_UNITS_PER_REQUEST = 8;

    private final Station station;
    private final Patterns patterns;
    private final Random random;
    private final int units;
    private final int[] current;
    private final int[] next;
    private final boolean[] mayBeZero;
    private final boolean[] unknown;
    private final boolean[] busy;
    private final boolean[] touched;
    private final boolean[] written;
    private boolean unwrittenUndefined;
    private final List<Station.Pending> sent = new ArrayList<>();
    private final Map<IoOp, Integer> counts = new EnumMap<>(IoOp.class);
    private int fuaCount;
    private int inFlight;
    private final Outcome outcome;
    private final Set<Capability> caps;

    /** A workload over the first {@code units} units of {@code station}'s disk; findings go to {@code outcome}. */
    public Workload(Station station, Patterns patterns, Random random, int units, Outcome outcome) {
        this.station = station;
        this.patterns = patterns;
        this.random = random;
        this.units = units;
        this.current = new int[units];
        this.next = new int[units];
        this.mayBeZero = new boolean[units];
        this.unknown = new boolean[units];
        this.busy = new boolean[units];
        this.touched = new boolean[units];
        this.written = new boolean[units];
        this.outcome = outcome;
        this.caps = station.disk().capabilities();
    }

    /**
     * Accept any contents in units never written: filters that transform data (encryption, compression) read
     * unwritten blocks as whatever the zeros below decode to.
     */
    public Workload unwrittenUndefined(boolean undefined) {
        this.unwrittenUndefined = undefined;
        return this;
    }

    /**
     * Run up to {@code operations} requests with at most {@code concurrency} in flight, stopping early when
     * {@code budget} runs out; then wait for all of them.
     */
    public void run(int operations, int concurrency, Duration budget) throws InterruptedException {
        long stop = System.nanoTime() + budget.toNanos();
        for (int i = 0; i < operations && System.nanoTime() < stop; i++) {
            issueOne(concurrency);
        }
        awaitAll();
    }

    private void issueOne(int concurrency) throws InterruptedException {
        int roll = random.nextInt(100);
        if (roll < 6 && caps.contains(Capability.FLUSH)) {
            synchronized (this) {
                while (inFlight >= concurrency) {
                    wait(50);
                }
                inFlight++;
            }
            count(IoOp.FLUSH);
            track(station.submit(IoRequest.flush(station.tag())), null, 0, 0);
            return;
        }
        IoOp op = roll < 45 ? IoOp.WRITE : roll < 85 ? IoOp.READ : roll < 93 ? IoOp.WRITE_ZEROES : IoOp.UNMAP;
        if (op == IoOp.WRITE_ZEROES && !caps.contains(Capability.WRITE_ZEROES)
                || op == IoOp.UNMAP && !caps.contains(Capability.UNMAP)) {
            op = IoOp.WRITE;
        }
        int n = 1 + random.nextInt(MAX_UNITS_PER_REQUEST);
        int first = reserve(n, concurrency);
        boolean fua = op.allowsFua() && caps.contains(Capability.FUA) && random.nextInt(4) == 0;
        long offset = (long) first * UNIT;
        IoRequest request;
        int[] versions = null;
        switch (op) {
            case WRITE -> {
                byte[] data = new byte[n * UNIT];
                versions = new int[n];
                synchronized (this) {
                    for (int i = 0; i < n; i++) {
                        versions[i] = ++next[first + i];
                        System.arraycopy(patterns.of(first + i, versions[i]), 0, data, i * UNIT, UNIT);
                    }
                }
                request = IoRequest.write(station.tag(), offset, ByteBuffer.wrap(data), fua);
            }
            case READ -> request = IoRequest.read(station.tag(), offset, ByteBuffer.allocate(n * UNIT));
            case WRITE_ZEROES -> request = IoRequest.writeZeroes(station.tag(), offset, n * UNIT, fua);
            default -> request = IoRequest.unmap(station.tag(), offset, n * UNIT);
        }
        count(op);
        if (request.fua()) {
            fuaCount++;
        }
        Station.Pending p = station.submit(request);
        track(p, versions, first, n);
    }

    private void count(IoOp op) {
        counts.merge(op, 1, Integer::sum);
    }

    /** Find and lock {@code n} free units; waits for completions when none are free. */
    private synchronized int reserve(int n, int concurrency) throws InterruptedException {
        while (true) {
            if (inFlight < concurrency) {
                for (int attempt = 0; attempt < 8; attempt++) {
                    int first = random.nextInt(units - n + 1);
                    boolean free = true;
                    for (int i = first; i < first + n && free; i++) {
                        free = !busy[i];
                    }
                    if (free) {
                        Arrays.fill(busy, first, first + n, true);
                        inFlight++;
                        return first;
                    }
                }
            }
            wait(50);
        }
    }

    private void track(Station.Pending p, int[] versions, int first, int n) {
        synchronized (this) {
            sent.add(p);
        }
        p.future().whenComplete((status, error) -> settle(p.request, status, versions, first, n));
    }

    private synchronized void settle(IoRequest r, IoStatus status, int[] versions, int first, int n) {
        try {
            if (status == null || !status.isOk()) {
                outcome.fail(r + " failed: " + status);
                for (int i = first; i < first + n; i++) {
                    if (r.op().modifies()) {
                        unknown[i] = true;
                    }
                }
                return;
            }
            for (int i = 0; i < n; i++) {
                int u = first + i;
                switch (r.op()) {
                    case WRITE -> {
                        current[u] = versions[i];
                        mayBeZero[u] = false;
                        unknown[u] = false;
                        touched[u] = true;
                        written[u] = true;
                    }
                    case WRITE_ZEROES -> {
                        current[u] = 0;
                        mayBeZero[u] = false;
                        unknown[u] = false;
                        touched[u] = true;
                        written[u] = true;
                    }
                    case UNMAP -> {
                        mayBeZero[u] = true;
                        touched[u] = true;
                    }
                    case READ -> verify(u, Arrays.copyOfRange(Station.bytes(r), i * UNIT, (i + 1) * UNIT),
                            "read " + r);
                    default -> {
                    }
                }
            }
        } finally {
            if (n > 0) {
                Arrays.fill(busy, first, first + n, false);
            }
            inFlight--;
            notifyAll();
        }
    }

    /** Check one unit's contents against the model. */
    public synchronized boolean verify(int u, byte[] data, String how) {
        if (unknown[u] || unwrittenUndefined && !written[u]) {
            return true;
        }
        int v = current[u];
        if (patterns.match(u, data, v) == v || mayBeZero[u] && patterns.match(u, data, 0) == 0) {
            return true;
        }
        outcome.fail(how + ": unit " + u + " (offset " + (long) u * UNIT + ") holds "
                + patterns.describe(u, data, next[u]) + ", expected version " + v
                + (mayBeZero[u] ? " or zeros (unmapped)" : ""));
        return false;
    }

    private void awaitAll() throws InterruptedException {
        long until = System.nanoTime() + station.layout().deadline().toNanos();
        synchronized (this) {
            while (inFlight > 0) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    outcome.fail(inFlight + " request(s) did not complete within " + station.layout().deadline().toMillis()
                            + " ms");
                    return;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Read every unit the workload touched back through the disk and check it against the model. */
    public int verifyAllThroughReads() throws InterruptedException {
        List<Station.Pending> reads = new ArrayList<>();
        for (int u = 0; u < units; u++) {
            if (touched(u)) {
                reads.add(station.submit(station.read((long) u * UNIT, UNIT)));
            }
        }
        for (Station.Pending p : reads) {
            int u = (int) (p.request.offset() / UNIT);
            IoStatus s = p.await(station.layout().deadline());
            if (s == null || !s.isOk()) {
                outcome.fail("final read of unit " + u + " failed: " + s);
                continue;
            }
            verify(u, Station.bytes(p.request), "final read");
        }
        return reads.size();
    }

    /** Check every touched unit as the backend holds it (for candidates that store data unchanged). */
    public int verifyAllOnBackend(java.util.function.LongFunction<byte[]> peek) {
        int checked = 0;
        for (int u = 0; u < units; u++) {
            if (touched[u]) {
                verify(u, peek.apply((long) u * UNIT), "backend contents");
                checked++;
            }
        }
        return checked;
    }

    /** Every request sent, in order. */
    public synchronized List<Station.Pending> sent() {
        return List.copyOf(sent);
    }

    /** Whether unit {@code u} was modified by the workload. */
    public synchronized boolean touched(int u) {
        return touched[u];
    }

    /** What was sent, for evidence. */
    public synchronized String summary() {
        return "sent " + sent.size() + " requests " + counts + " (" + fuaCount + " with FUA) over "
                + units + " units of " + UNIT + " bytes";
    }
}
