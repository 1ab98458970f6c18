package io.weir.vscsi.stack;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.weir.filter.StateHandoff;

/** An in-memory {@link StateHandoff} with key checks and a size bound. */
public final class MapHandoff implements StateHandoff {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private final long maxBytes;
    private final Map<String, byte[]> values = Collections.synchronizedMap(new LinkedHashMap<>());
    private long bytes;

    public MapHandoff(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void put(String key, byte[] value) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("state key must be 1-128 letters, digits, '.', '-' or '_': " + key);
        }
        synchronized (values) {
            byte[] old = values.get(key);
            long next = bytes - (old == null ? 0 : old.length) + value.length;
            if (next > maxBytes) {
                throw new IllegalArgumentException("handed-off state would exceed " + maxBytes + " bytes");
            }
            values.put(key, value.clone());
            bytes = next;
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        byte[] v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public Set<String> keys() {
        synchronized (values) {
            return Set.copyOf(values.keySet());
        }
    }
}
