package io.weir.trust;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A node (TLS) certificate a {@link Pki} issued, as {@code weir pki list} shows it.
 *
 * @param serial   serial number
 * @param subject  subject distinguished name
 * @param hosts    the DNS names and IP addresses it is valid for
 * @param notAfter end of validity
 * @param revoked  whether the PKI's CRL lists it
 */
public record IssuedNode(BigInteger serial, String subject, List<String> hosts, Instant notAfter, boolean revoked) {
    /** Checks and copies the components. */
    public IssuedNode {
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(subject, "subject");
        hosts = List.copyOf(hosts);
        Objects.requireNonNull(notAfter, "notAfter");
    }
}
