package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weir.filter.FilterClass;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EntitlementTest {
    @TempDir
    Path dir;

    @Test
    void encodingRoundTripsThroughDer() {
        Entitlement entitlement = new Entitlement(SignerRole.PARTNER, EnumSet.of(FilterClass.CACHE, FilterClass.INSPECTION));
        assertEquals(entitlement, Entitlement.decode(entitlement.encoded()));
        Entitlement vendor = new Entitlement(SignerRole.VENDOR, EnumSet.allOf(FilterClass.class));
        assertEquals(vendor, Entitlement.decode(vendor.encoded()));
    }

    @Test
    void encodingIsTheDocumentedDerSequence() throws Exception {
        ASN1EncodableVector names = new ASN1EncodableVector();
        names.add(new DERUTF8String("REPLICATION"));
        names.add(new DERUTF8String("CACHE"));
        ASN1EncodableVector value = new ASN1EncodableVector();
        value.add(new ASN1Enumerated(1));
        value.add(new DERSequence(names));
        byte[] expected = new DERSequence(value).getEncoded("DER");
        assertArrayEquals(expected,
                new Entitlement(SignerRole.PARTNER, Set.of(FilterClass.CACHE, FilterClass.REPLICATION)).encoded());
    }

    @Test
    void issuedCertificatesCarryTheirEntitlementAndOthersNone() throws Exception {
        Pki pki = Pki.init(dir, "pw".toCharArray(), "Vendor", 5);
        SigningIdentity partner = pki.issuePartner("Partner", Set.of(FilterClass.REPLICATION), 5);
        assertEquals(Optional.of(new Entitlement(SignerRole.PARTNER, Set.of(FilterClass.REPLICATION))),
                Entitlement.of(partner.certificate()));
        assertEquals(Optional.of(new Entitlement(SignerRole.VENDOR, EnumSet.allOf(FilterClass.class))),
                Entitlement.of(pki.vendor().certificate()));
        assertEquals(Optional.empty(), Entitlement.of(pki.root()));
        assertTrue(!partner.certificate().getCriticalExtensionOIDs().contains(Entitlement.OID),
                "the entitlement extension must be non-critical");
    }

    @Test
    void unknownClassNameIsMalformedAndNamed() throws Exception {
        ASN1EncodableVector names = new ASN1EncodableVector();
        names.add(new DERUTF8String("TELEPORT"));
        ASN1EncodableVector value = new ASN1EncodableVector();
        value.add(new ASN1Enumerated(1));
        value.add(new DERSequence(names));
        byte[] der = new DERSequence(value).getEncoded("DER");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Entitlement.decode(der));
        assertTrue(e.getMessage().contains("TELEPORT"), e.getMessage());
    }

    @Test
    void unknownRoleRepeatedClassAndNonSequenceAreMalformed() throws Exception {
        ASN1EncodableVector role = new ASN1EncodableVector();
        role.add(new ASN1Enumerated(7));
        role.add(new DERSequence());
        byte[] badRole = new DERSequence(role).getEncoded("DER");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Entitlement.decode(badRole)).getMessage()
                .contains("role"));

        ASN1EncodableVector names = new ASN1EncodableVector();
        names.add(new DERUTF8String("CACHE"));
        names.add(new DERUTF8String("CACHE"));
        ASN1EncodableVector twice = new ASN1EncodableVector();
        twice.add(new ASN1Enumerated(1));
        twice.add(new DERSequence(names));
        byte[] repeated = new DERSequence(twice).getEncoded("DER");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Entitlement.decode(repeated)).getMessage()
                .contains("CACHE"));

        byte[] notSequence = new DERUTF8String("CACHE").getEncoded("DER");
        assertThrows(IllegalArgumentException.class, () -> Entitlement.decode(notSequence));
        assertThrows(IllegalArgumentException.class, () -> Entitlement.decode(new byte[] {0x30, 0x05, 0x01}));
    }
}
