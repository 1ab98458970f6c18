package io.weir.certification.broken;

import io.weir.certification.reference.WriteBackCache;

/**
 * A CACHE that always behaves as a write-back cache, even when configured write-through: writes complete once they
 * are in its memory, before the backend has them. Otherwise a correct write-back cache. The kit's
 * {@code ack-semantics} check fails, and so does {@code error-propagation}: a write the backend fails was already
 * acknowledged, which a write-back cache may do but a write-through one may not.
 */
public final class EarlyAck extends WriteBackCache {
}
