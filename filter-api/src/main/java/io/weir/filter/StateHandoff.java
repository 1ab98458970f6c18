package io.weir.filter;

import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * State passed from an outgoing filter instance to its successor on swap (hot upgrade) or migration. The
 * two instances may come from different bundle versions, so state crosses as named byte arrays in a format
 * the filter versions itself. Written during SWAP_OUT / MIGRATE_OUT, read during SWAP_IN / MIGRATE_IN.
 */
@ProviderType
public interface StateHandoff {
    /** Store {@code value} under {@code key} (letters, digits, '.', '-', '_'; at most 128 characters). */
    void put(String key, byte[] value);

    /** The value stored under {@code key}, if any. */
    Optional<byte[]> get(String key);

    /** Every key stored. */
    Set<String> keys();
}
