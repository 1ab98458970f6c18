/**
 * The {@code qos} sample filter: datastore I/O control (class QOS) with per-disk reservations, limits and shares
 * across the disks of one backend group, scheduled in the manner of mClock. The bundle exports nothing; the
 * types here are public for tests and for code that embeds the factory.
 */
package io.weir.samples.qos;
