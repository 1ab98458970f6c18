package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weir.filter.FilterClass;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiTest {
    private static final char[] PASSWORD = "s3cret".toCharArray();

    @TempDir
    Path dir;

    @Test
    void initCreatesARootCaAndAVendorSigningCertificateThatOpenReadsBack() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        X509Certificate root = pki.root();
        assertTrue(root.getBasicConstraints() >= 0, "root must be a CA");
        assertTrue(root.getCriticalExtensionOIDs().contains("2.5.29.19"), "basicConstraints must be critical");
        boolean[] usage = root.getKeyUsage();
        assertTrue(usage[5] && usage[6], "root must have keyCertSign and cRLSign");

        X509Certificate vendor = pki.vendor().certificate();
        vendor.verify(root.getPublicKey());
        assertEquals(-1, vendor.getBasicConstraints());
        assertTrue(vendor.getKeyUsage()[0], "digitalSignature");
        assertTrue(vendor.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.3"), "codeSigning");
        assertEquals(List.of(vendor, root), pki.vendor().chain());

        Pki reopened = Pki.open(dir, PASSWORD);
        assertEquals(root, reopened.root());
        assertEquals(vendor, reopened.vendor().certificate());
        assertEquals(pki.vendor().privateKey(), reopened.vendor().privateKey());
        assertEquals(root, X509.certificate(Files.readAllBytes(pki.rootCertificateFile())));
        assertTrue(Files.readString(pki.rootCertificateFile()).startsWith("-----BEGIN CERTIFICATE-----"));
        X509CRL crl = X509.crl(Files.readAllBytes(pki.crlFile()));
        crl.verify(root.getPublicKey());
        assertNull(crl.getRevokedCertificates(), "a new PKI revokes nothing");
    }

    @Test
    void initRefusesADirectoryThatAlreadyHoldsAPki() throws Exception {
        Pki.init(dir, PASSWORD, "Weir Inc", 10);
        IOException e = assertThrows(IOException.class, () -> Pki.init(dir, PASSWORD, "Other", 10));
        assertTrue(e.getMessage().contains("already holds a PKI"), e.getMessage());
    }

    @Test
    void openWithTheWrongPasswordSaysSoNamingTheFile() throws Exception {
        Pki.init(dir, PASSWORD, "Weir Inc", 10);
        IOException e = assertThrows(IOException.class, () -> Pki.open(dir, "wrong".toCharArray()));
        assertTrue(e.getMessage().contains("wrong password") && e.getMessage().contains(Pki.KEYSTORE_FILE),
                e.getMessage());
    }

    @Test
    void openOfADirectoryWithoutAPkiNamesTheMissingFile() {
        IOException e = assertThrows(IOException.class, () -> Pki.open(dir, PASSWORD));
        assertTrue(e.getMessage().contains(Pki.KEYSTORE_FILE), e.getMessage());
    }

    @Test
    void issuePartnerCarriesThePartnerEntitlementAndChainsToTheRoot() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        SigningIdentity partner = pki.issuePartner("Acme, Inc.", EnumSet.of(FilterClass.CACHE, FilterClass.INSPECTION), 5);
        X509Certificate certificate = partner.certificate();
        certificate.verify(pki.root().getPublicKey());
        assertTrue(certificate.getSubjectX500Principal().getName().contains("Acme\\, Inc."));
        assertEquals(new Entitlement(SignerRole.PARTNER, EnumSet.of(FilterClass.CACHE, FilterClass.INSPECTION)),
                Entitlement.of(certificate).orElseThrow());
        assertFalse(certificate.getNotAfter().after(pki.root().getNotAfter()), "never beyond the root");
        assertEquals(List.of(certificate, pki.root()), partner.chain());
    }

    @Test
    void issuePartnerRefusesVendorOnlyClassesNamingThem() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        for (FilterClass vendorOnly : List.of(FilterClass.ENCRYPTION, FilterClass.QOS)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pki.issuePartner("Acme", EnumSet.of(FilterClass.CACHE, vendorOnly), 5));
            assertTrue(e.getMessage().contains(vendorOnly.name()), e.getMessage());
        }
        assertEquals(1, pki.issued().size(), "nothing but the vendor certificate was issued");
    }

    @Test
    void issuePartnerRefusesAnEmptyEntitlement() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pki.issuePartner("Acme", Set.of(), 5));
        assertTrue(e.getMessage().contains("at least one"), e.getMessage());
    }

    @Test
    void revokeWritesACrlListingTheSerialSignedByTheRoot() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        SigningIdentity first = pki.issuePartner("First", Set.of(FilterClass.CACHE), 5);
        SigningIdentity second = pki.issuePartner("Second", Set.of(FilterClass.CACHE), 5);
        BigInteger firstSerial = first.certificate().getSerialNumber();
        BigInteger secondSerial = second.certificate().getSerialNumber();

        pki.revoke(firstSerial, "keyCompromise");
        X509CRL crl = pki.revoke(secondSerial, "superseded");

        X509CRL onDisk = X509.crl(Files.readAllBytes(pki.crlFile()));
        assertEquals(crl, onDisk);
        onDisk.verify(pki.root().getPublicKey());
        assertEquals(CRLReason.KEY_COMPROMISE, onDisk.getRevokedCertificate(firstSerial).getRevocationReason());
        assertEquals(CRLReason.SUPERSEDED, onDisk.getRevokedCertificate(secondSerial).getRevocationReason());
        assertNull(onDisk.getRevokedCertificate(pki.vendor().certificate().getSerialNumber()));
        assertEquals(onDisk, Pki.open(dir, PASSWORD).crl());
    }

    @Test
    void revokeRefusesAnUnknownSerialAnAlreadyRevokedOneAndAnUnknownReason() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        BigInteger serial = pki.issuePartner("Acme", Set.of(FilterClass.CACHE), 5).certificate().getSerialNumber();
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> pki.revoke(BigInteger.valueOf(42), null));
        assertTrue(unknown.getMessage().contains("2a"), unknown.getMessage());
        IllegalArgumentException reason = assertThrows(IllegalArgumentException.class,
                () -> pki.revoke(serial, "bored"));
        assertTrue(reason.getMessage().contains("bored"), reason.getMessage());
        pki.revoke(serial, "");
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> pki.revoke(serial, null));
        assertTrue(twice.getMessage().contains("already revoked"), twice.getMessage());
    }

    @Test
    void issuedListsEveryCertificateWithItsRevocationState() throws Exception {
        Pki pki = Pki.init(dir, PASSWORD, "Weir Inc", 10);
        SigningIdentity partner = pki.issuePartner("Acme", Set.of(FilterClass.REPLICATION), 5);
        pki.revoke(partner.certificate().getSerialNumber(), "cessationOfOperation");

        List<IssuedCertificate> issued = Pki.open(dir, PASSWORD).issued();
        assertEquals(2, issued.size());
        IssuedCertificate vendor = issued.stream().filter(i -> i.role() == SignerRole.VENDOR).findFirst().orElseThrow();
        assertEquals(pki.vendor().certificate().getSerialNumber(), vendor.serial());
        assertEquals(EnumSet.allOf(FilterClass.class), vendor.classes());
        assertFalse(vendor.revoked());
        IssuedCertificate acme = issued.stream().filter(i -> i.role() == SignerRole.PARTNER).findFirst().orElseThrow();
        assertEquals(partner.certificate().getSerialNumber(), acme.serial());
        assertTrue(acme.subject().contains("CN=Acme"), acme.subject());
        assertEquals(Set.of(FilterClass.REPLICATION), acme.classes());
        assertEquals(partner.certificate().getNotAfter().toInstant(), acme.notAfter());
        assertTrue(acme.revoked());
        assertNotNull(pki.crl().getRevokedCertificate(acme.serial()));
    }
}
