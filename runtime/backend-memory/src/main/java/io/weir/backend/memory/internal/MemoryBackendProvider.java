package io.weir.backend.memory.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import io.weir.backend.Backend;
import io.weir.backend.BackendProvider;
import io.weir.backend.BackendSpec;
import io.weir.backend.memory.MemoryBackend;

import org.osgi.service.component.annotations.Component;

/**
 * The {@code memory} backend type. A disk's contents live as long as this component: closing and reopening a
 * disk keeps them; {@link #destroy} or stopping the bundle drops them.
 *
 * <p>Options: {@code mode} = {@code durable} (default) or {@code volatile-cache}; {@code seed} (a long) for
 * the power-loss fates of a volatile cache (random when absent); {@code latency-micros} to complete every
 * request after that many microseconds instead of inline.
 */
@Component(service = BackendProvider.class, property = BackendProvider.TYPE + "=memory")
public final class MemoryBackendProvider implements BackendProvider {
    static final String MODE = "mode";
    static final String SEED = "seed";
    static final String LATENCY_MICROS = "latency-micros";

    private final Map<String, MemoryBackend> disks = new ConcurrentHashMap<>();

    @Override
    public Backend open(BackendSpec spec) throws IOException {
        Map<String, String> options = spec.options();
        String mode = options.getOrDefault(MODE, "durable");
        boolean volatileCache;
        switch (mode) {
            case "durable":
                volatileCache = false;
                break;
            case "volatile-cache":
                volatileCache = true;
                break;
            default:
                throw new IOException("memory disk '" + spec.diskId() + "': option " + MODE + "=" + mode
                        + " is neither durable nor volatile-cache");
        }
        Duration latency = Duration.ofNanos(1000 * parseLong(spec, LATENCY_MICROS, 0));
        if (latency.isNegative()) {
            throw new IOException("memory disk '" + spec.diskId() + "': option " + LATENCY_MICROS + " is negative");
        }
        Random fates = new Random(parseLong(spec, SEED, new Random().nextLong()));
        IOException[] refusal = new IOException[1];
        MemoryBackend root = disks.compute(spec.diskId(), (id, existing) -> {
            if (existing == null) {
                MemoryBackend.Builder b = MemoryBackend.builder(spec.capacity()).name(id);
                return (volatileCache ? b.volatileCache(fates) : b).build();
            }
            if (existing.capacity() != spec.capacity()) {
                refusal[0] = new IOException("memory disk '" + id + "' exists with " + existing.capacity()
                        + " bytes, but the disk's capacity is " + spec.capacity() + " bytes");
            } else if (existing.isVolatileCache() != volatileCache) {
                refusal[0] = new IOException("memory disk '" + id + "' exists in "
                        + (existing.isVolatileCache() ? "volatile-cache" : "durable") + " mode, not " + mode);
            }
            return existing;
        });
        if (refusal[0] != null) {
            throw refusal[0];
        }
        MemoryBackend handle = root.reopen();
        handle.setLatency(latency, latency);
        return handle;
    }

    private static long parseLong(BackendSpec spec, String key, long fallback) throws IOException {
        String value = spec.options().get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IOException("memory disk '" + spec.diskId() + "': option " + key + "=" + value
                    + " is not a whole number", e);
        }
    }

    @Override
    public void destroy(BackendSpec spec) {
        disks.remove(spec.diskId());
    }
}
