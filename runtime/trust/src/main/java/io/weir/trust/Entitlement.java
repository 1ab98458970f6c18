package io.weir.trust;

import io.weir.filter.FilterClass;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.ASN1UTF8String;

/**
 * The filter classes a signing certificate entitles its holder to ship: Weir's own X.509 extension
 * ({@value #OID}, always non-critical, since the JDK treats a JAR signed with a certificate carrying an unknown
 * critical extension as unsigned).
 *
 * <p>DER: {@code SEQUENCE { role ENUMERATED (0 vendor, 1 partner), classes SEQUENCE OF UTF8String }}, the
 * strings being {@link FilterClass} names in the order of {@link FilterClass#order()}. Decoding is strict: an
 * unknown role or class name, a repeated class, or trailing data make the extension malformed.
 *
 * @param role whose certificate this is
 * @param classes the classes it may ship (a partner is still refused the vendor-only ones)
 */
public record Entitlement(SignerRole role, Set<FilterClass> classes) {
    /** Weir's entitlement extension OID: a UUID OID (ITU-T X.667). */
    public static final String OID = "2.25.27871142335162460096917846370835505217";

    private static final int ROLE_VENDOR = 0;
    private static final int ROLE_PARTNER = 1;

    /** Checks the role is present and copies the classes. */
    public Entitlement {
        Objects.requireNonNull(role, "role");
        classes = copyOf(classes);
    }

    /**
     * Reads the entitlement of a certificate.
     *
     * @return empty when the certificate carries no entitlement extension
     * @throws IllegalArgumentException naming the problem when the extension is critical or malformed
     */
    public static Optional<Entitlement> of(X509Certificate cert) {
        byte[] wrapped = cert.getExtensionValue(OID);
        if (wrapped == null) {
            return Optional.empty();
        }
        String subject = cert.getSubjectX500Principal().getName();
        Set<String> critical = cert.getCriticalExtensionOIDs();
        if (critical != null && critical.contains(OID)) {
            throw new IllegalArgumentException("entitlement extension of " + subject + " is critical; it must not be");
        }
        try {
            byte[] der = ASN1OctetString.getInstance(wrapped).getOctets();
            return Optional.of(decode(der));
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new IllegalArgumentException("malformed entitlement extension in " + subject + ": " + e.getMessage(), e);
        }
    }

    /** Decodes the DER of the extension value. */
    static Entitlement decode(byte[] der) {
        ASN1Primitive primitive;
        try {
            primitive = ASN1Primitive.fromByteArray(der);
        } catch (IOException e) {
            throw new IllegalArgumentException("not DER: " + e.getMessage(), e);
        }
        if (!(primitive instanceof ASN1Sequence sequence) || sequence.size() != 2) {
            throw new IllegalArgumentException("expected SEQUENCE { role ENUMERATED, classes SEQUENCE OF UTF8String }");
        }
        if (!(sequence.getObjectAt(0) instanceof ASN1Enumerated roleValue)) {
            throw new IllegalArgumentException("role is not ENUMERATED");
        }
        SignerRole role = switch (roleValue.intValueExact()) {
            case ROLE_VENDOR -> SignerRole.VENDOR;
            case ROLE_PARTNER -> SignerRole.PARTNER;
            default -> throw new IllegalArgumentException("unknown role " + roleValue.getValue());
        };
        if (!(sequence.getObjectAt(1) instanceof ASN1Sequence names)) {
            throw new IllegalArgumentException("classes is not a SEQUENCE");
        }
        EnumSet<FilterClass> classes = EnumSet.noneOf(FilterClass.class);
        for (ASN1Encodable element : names) {
            if (!(element instanceof ASN1UTF8String name)) {
                throw new IllegalArgumentException("class name is not a UTF8String");
            }
            FilterClass filterClass;
            try {
                filterClass = FilterClass.valueOf(name.getString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown filter class '" + name.getString() + "'", e);
            }
            if (!classes.add(filterClass)) {
                throw new IllegalArgumentException("filter class " + filterClass + " listed twice");
            }
        }
        return new Entitlement(role, classes);
    }

    /** The DER encoding of this entitlement: the value of the extension. */
    public byte[] encoded() {
        ASN1EncodableVector names = new ASN1EncodableVector();
        for (FilterClass filterClass : classes) {
            names.add(new DERUTF8String(filterClass.name()));
        }
        ASN1EncodableVector value = new ASN1EncodableVector();
        value.add(new ASN1Enumerated(role == SignerRole.VENDOR ? ROLE_VENDOR : ROLE_PARTNER));
        value.add(new DERSequence(names));
        try {
            return new DERSequence(value).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot DER-encode an entitlement", e);
        }
    }

    /** An unmodifiable, ordered copy of a set of classes. */
    static Set<FilterClass> copyOf(Collection<FilterClass> classes) {
        Objects.requireNonNull(classes, "classes");
        EnumSet<FilterClass> copy = EnumSet.noneOf(FilterClass.class);
        for (FilterClass filterClass : classes) {
            copy.add(Objects.requireNonNull(filterClass, "class"));
        }
        return Collections.unmodifiableSet(copy);
    }
}
