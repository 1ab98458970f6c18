package io.weir.samples.encryption;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.weir.backend.Backend;
import io.weir.backend.ForwardingBackend;
import io.weir.filter.IoCallback;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;

/** The probe below the filter: keeps every request that reached the backend, with a copy of each WRITE's bytes. */
final class RecordingBackend extends ForwardingBackend {
    /** One request as it reached the backend; {@code data} is a copy of a WRITE's payload, else null. */
    record Seen(IoRequest request, byte[] data) {
    }

    private final List<Seen> seen = new ArrayList<>();

    RecordingBackend(Backend delegate) {
        super(delegate);
    }

    @Override
    public void submit(IoRequest request, IoCallback callback) {
        byte[] copy = null;
        if (request.data() != null && request.op() == IoOp.WRITE) {
            ByteBuffer d = request.data();
            copy = new byte[d.remaining()];
            d.get(d.position(), copy);
        }
        synchronized (seen) {
            seen.add(new Seen(request, copy));
        }
        super.submit(request, callback);
    }

    List<Seen> seen() {
        synchronized (seen) {
            return new ArrayList<>(seen);
        }
    }
}
