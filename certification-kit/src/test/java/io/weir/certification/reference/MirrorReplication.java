package io.weir.certification.reference;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.weir.certification.ReplicaHarness;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A correct REPLICATION filter and its replica in one: every completed write is applied to an in-memory replica image
 * per disk. Setting {@code mode}: {@code sync} applies it before the write completes to the guest, and fails the write
 * while the link is cut; {@code async} (the default) applies writes in completion order, queueing them while the link
 * is cut and applying the queue in order when it returns. The factory is the kit's {@link ReplicaHarness}.
 */
public class MirrorReplication implements FilterFactory, ReplicaHarness {
    /** Per disk: the replica image and the writes waiting for the link. */
    protected static final class Replica {
        /** The image, sparse (it grows with the disk): 512-byte sectors by number; absent ones are zeros. */
        final Map<Long, byte[]> sectors = new HashMap<>();
        final ArrayDeque<long[]> queueOffsets = new ArrayDeque<>();
        final ArrayDeque<byte[]> queueData = new ArrayDeque<>();

        synchronized void apply(long offset, byte[] data) {
            for (int i = 0; i < data.length; i += SECTOR) {
                sectors.put((offset + i) / SECTOR, Arrays.copyOfRange(data, i, i + SECTOR));
            }
        }

        synchronized void copy(long offset, byte[] out) {
            for (int i = 0; i < out.length; i += SECTOR) {
                byte[] s = sectors.get((offset + i) / SECTOR);
                if (s != null) {
                    System.arraycopy(s, 0, out, i, SECTOR);
                }
            }
        }
    }

    private static final int SECTOR = 512;

    protected final Map<String, Replica> replicas = new ConcurrentHashMap<>();
    protected volatile boolean up = true;

    @Override
    public Filter create(FilterContext context) {
        boolean sync = String.valueOf(context.properties().getOrDefault("mode", "async")).startsWith("sync");
        Replica replica = replicas.computeIfAbsent(context.diskId(), k -> new Replica());
        return new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                chain.pass();
            }

            @Override
            public IoStatus completed(IoRequest request, IoStatus status) {
                if (!status.isOk() || request.op() != IoOp.WRITE) {
                    return status;
                }
                byte[] data = new byte[request.length()];
                request.data().duplicate().get(data);
                return sync ? replicateNow(replica, request, data) : replicateInOrder(replica, request.offset(), data);
            }
        };
    }

    /** Synchronous: the replica has the write before the guest hears of it, or the write fails. */
    protected IoStatus replicateNow(Replica replica, IoRequest request, byte[] data) {
        if (!up) {
            return IoStatus.failed(IoError.IO, "replica unreachable: " + request + " is not replicated");
        }
        replica.apply(request.offset(), data);
        return IoStatus.OK;
    }

    /** Asynchronous: applied now when nothing waits and the link is up, else queued behind what waits. */
    protected IoStatus replicateInOrder(Replica replica, long offset, byte[] data) {
        synchronized (replica) {
            if (up && replica.queueData.isEmpty()) {
                replica.apply(offset, data);
            } else {
                replica.queueOffsets.add(new long[] {offset});
                replica.queueData.add(data);
            }
        }
        return IoStatus.OK;
    }

    @Override
    public byte[] read(String diskId, long offset, int length) {
        Replica r = replicas.get(diskId);
        byte[] out = new byte[length];
        if (r != null) {
            r.copy(offset, out);
        }
        return out;
    }

    @Override
    public void cut() {
        up = false;
    }

    @Override
    public void heal() {
        up = true;
        for (Replica r : replicas.values()) {
            drain(r);
        }
    }

    /** Apply what waits, oldest first. */
    protected void drain(Replica r) {
        synchronized (r) {
            while (!r.queueData.isEmpty()) {
                r.apply(r.queueOffsets.poll()[0], r.queueData.poll());
            }
        }
    }
}
