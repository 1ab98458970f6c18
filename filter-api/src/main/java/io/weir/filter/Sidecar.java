package io.weir.filter;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A small durable key-value store per filter per disk, kept by the runtime beside the disk's catalog entry
 * (VAIO calls this the sidecar). Meant for metadata: key ids, dirty bitmaps, stream positions; not for bulk
 * data. Keys are letters, digits, '.', '-' and '_' up to 128 characters.
 *
 * <p>Every update is atomic and durable when the method returns: after a crash, readers see either
 * all of an update or none of it. A sidecar that was corrupted on disk is reported by
 * {@link IOException} naming the file, never silently emptied.
 */
@ProviderType
public interface Sidecar {
    /** The value under {@code key}, if any. */
    Optional<byte[]> get(String key) throws IOException;

    /** Every key present. */
    Set<String> keys() throws IOException;

    /** Store one value atomically and durably. */
    void put(String key, byte[] value) throws IOException;

    /** Store {@code puts} and remove {@code deletes} in one atomic, durable update. */
    void update(Map<String, byte[]> puts, Set<String> deletes) throws IOException;

    /** Remove a key atomically and durably; no error if absent. */
    void delete(String key) throws IOException;
}
