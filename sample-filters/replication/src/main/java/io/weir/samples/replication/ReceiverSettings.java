package io.weir.samples.replication;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The settings of a replica receiver ({@link ReceiverComponent}, configuration pid
 * {@value ReceiverComponent#PID}). Key names are the method names with {@code _} read as {@code .}.
 */
@ObjectClassDefinition(name = "Weir replica receiver",
        description = "Accepts replication streams over mutual TLS and keeps durable replica images")
public @interface ReceiverSettings {
    @AttributeDefinition(description = "Address to listen on")
    String receiver_bind() default "0.0.0.0";

    @AttributeDefinition(min = "0", max = "65535", description = "TCP port to listen on")
    int receiver_port() default 10810;

    @AttributeDefinition(description = "Directory of the replicas, one sub-directory per disk")
    String receiver_directory();

    @AttributeDefinition(description = "PKCS#12 keystore with this node's private key and certificate chain")
    String receiver_keystore();

    @AttributeDefinition(description = "File whose first line is the keystore's password")
    String receiver_keystore_passwordFile();

    @AttributeDefinition(description = "PEM file with the root certificate(s) primaries' certificates must chain to")
    String receiver_trust();

    @AttributeDefinition(description = "CRL (PEM or DER) of the trust root: a revoked primary's "
            + "certificate is refused; empty checks no revocation")
    String receiver_crl() default "";

    @AttributeDefinition(min = "1", description = "Seconds of point-in-time history to keep")
    long receiver_retention_seconds() default 86_400;

    @AttributeDefinition(min = "1048576", description = "Most bytes of undo journal to keep per disk")
    long receiver_retention_bytes() default 1L << 30;
}
