/**
 * The {@code replication} sample filter (class REPLICATION, partner) and its replica receiver: synchronous or
 * asynchronous replication of a disk over mutual TLS 1.3, dirty-region tracking and resync, and on the replica a
 * write-ahead journal with FLUSH-consistent checkpoints for point-in-time recovery and failover
 * ({@link io.weir.samples.replication.ReplicaStore}). The bundle exports nothing; the types here are public for
 * tests, for code that embeds the bundle's classes (an operator's command line), and for Declarative Services.
 */
package io.weir.samples.replication;
