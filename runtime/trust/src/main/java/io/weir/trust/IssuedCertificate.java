package io.weir.trust;

import io.weir.filter.FilterClass;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A certificate a {@link Pki} has issued, as its record lists it.
 *
 * @param serial the serial number
 * @param subject the subject (RFC 2253)
 * @param role the role its entitlement states
 * @param classes the classes its entitlement lists
 * @param notAfter end of its validity
 * @param revoked whether the PKI's CRL lists it
 */
public record IssuedCertificate(BigInteger serial, String subject, SignerRole role, Set<FilterClass> classes,
                                Instant notAfter, boolean revoked) {
    /** Checks and copies the components. */
    public IssuedCertificate {
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(role, "role");
        classes = Entitlement.copyOf(classes);
        Objects.requireNonNull(notAfter, "notAfter");
    }
}
