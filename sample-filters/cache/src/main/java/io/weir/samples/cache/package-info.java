/**
 * The {@code cache} sample filter (class CACHE, partner): write-through, write-back and write-around caching of a
 * disk on a local cache file, with S3-FIFO eviction, a checksummed metadata log for crash recovery and a warm
 * handoff on hot swap. The bundle exports nothing; the types here are public for tests and for code that embeds
 * the factory.
 */
package io.weir.samples.cache;
