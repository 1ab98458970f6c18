package io.weir.samples.replication;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The per-disk settings of the {@code replication} filter, declared through Metatype so the runtime refuses unknown
 * or malformed keys before the filter is created. Key names are the method names with {@code _} read as {@code .}
 * (for example {@code replication.buffer.bytes}). The module's README explains each one.
 */
@ObjectClassDefinition(name = "Weir replication filter",
        description = "Synchronous or asynchronous replication of a disk to a replica receiver over mutual TLS")
public @interface ReplicationSettings {
    @AttributeDefinition(description = "The replica receiver, host:port; empty: no replica yet (every write is "
            + "tracked as dirty, to be copied once a replica is configured)")
    String replication_target() default "";

    @AttributeDefinition(description = "sync: a write completes once local and replica copies are durable; async: "
            + "once the local write completed, the replica follows in order")
    String replication_mode() default "async";

    @AttributeDefinition(description = "PKCS#12 keystore with this node's private key and certificate chain")
    String replication_keystore() default "";

    @AttributeDefinition(description = "File whose first line is the keystore's password")
    String replication_keystore_passwordFile() default "";

    @AttributeDefinition(description = "PEM file with the root certificate(s) the replica's certificate must chain to")
    String replication_trust() default "";

    @AttributeDefinition(description = "CRL (PEM or DER) of the trust root: a revoked receiver "
            + "certificate is refused; empty checks no revocation")
    String replication_crl() default "";

    @AttributeDefinition(description = "Require the replica's certificate to name the target host (subject "
            + "alternative name)")
    boolean replication_tls_verifyHostname() default true;

    @AttributeDefinition(min = "65536", description = "Most bytes of writes sent or queued but not yet durable on "
            + "the replica; beyond it new writes wait (asynchronous mode)")
    long replication_buffer_bytes() default 64L << 20;

    @AttributeDefinition(min = "4096", description = "Bytes covered by one bit of the dirty-region bitmap (a power "
            + "of two)")
    int replication_region_bytes() default 1 << 20;

    @AttributeDefinition(min = "1", description = "Milliseconds a synchronous write waits for the replica before "
            + "the replica counts as failed")
    long replication_sync_timeout_ms() default 5000;

    @AttributeDefinition(description = "What a synchronous write does when the replica has failed: fail (complete "
            + "with an I/O error, the synchronous contract) or degrade (complete after the local write, track the "
            + "region, resync later: an explicit relaxation)")
    String replication_sync_onFailure() default "fail";

    @AttributeDefinition(min = "1", description = "Milliseconds a write may wait for buffer space (asynchronous "
            + "mode) before the stream is given up for dirty-region tracking and a resync")
    long replication_backpressure_ms() default 2000;

    @AttributeDefinition(min = "10", description = "Milliseconds between attempts to reach the replica")
    long replication_reconnect_ms() default 1000;

    @AttributeDefinition(min = "10", description = "Milliseconds between passes that clear regions the replica "
            + "holds durably from the persisted bitmap (when more than the active regions are marked)")
    long replication_bitmap_clear_ms() default 1000;

    @AttributeDefinition(min = "1", description = "Regions kept marked although the replica holds them (the "
            + "activity log): writing them again costs no sidecar write; a restart after a crash copies them again")
    int replication_bitmap_active_regions() default 1024;
}
