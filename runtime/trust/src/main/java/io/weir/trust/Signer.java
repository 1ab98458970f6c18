package io.weir.trust;

import io.weir.filter.FilterClass;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Set;

/**
 * The certificate that signed a bundle, as claimed by its signature block (whether or not it turned out to be
 * trusted: see the verdict's reasons).
 *
 * @param subject the signing certificate's subject (RFC 2253)
 * @param issuer the signing certificate's issuer (RFC 2253)
 * @param serial the signing certificate's serial number
 * @param notBefore start of the certificate's validity
 * @param notAfter end of the certificate's validity
 * @param role the role its entitlement states, or {@code null} when it carries no (well-formed) entitlement
 * @param entitled the classes its entitlement lists; empty without an entitlement
 */
public record Signer(String subject, String issuer, BigInteger serial, Instant notBefore, Instant notAfter,
                     SignerRole role, Set<FilterClass> entitled) {
    /** Copies the entitled classes. */
    public Signer {
        entitled = Entitlement.copyOf(entitled);
    }
}
