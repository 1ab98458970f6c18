package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weir.filter.FilterClass;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleVerifierTest {
    @TempDir
    static Path dir;
    private static BundleCorpus corpus;

    @BeforeAll
    static void buildCorpus() throws Exception {
        corpus = new BundleCorpus(dir.resolve("corpus"));
    }

    private static BundleVerifier verifier() {
        return new BundleVerifier(corpus.trustStore(), Clock.systemUTC());
    }

    private static Set<ReasonCode> codes(Verdict verdict) {
        return verdict.reasons().stream().map(Reason::code)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ReasonCode.class)));
    }

    private static boolean named(Verdict verdict, ReasonCode code, String text) {
        return verdict.reasons().stream().anyMatch(r -> r.code() == code && r.message().contains(text));
    }

    @Test
    void anAcceptedVerdictNamesTheSignerItsEntitlementTheDeclaredClassesAndTheBundleDigest() throws Exception {
        Path jar = corpus.build(BundleCorpus.Case.VALID_PARTNER);
        Verdict verdict = verifier().verify(jar);
        assertTrue(verdict.accepted(), verdict.reasons().toString());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar))),
                verdict.sha256());
        Signer signer = verdict.signer().orElseThrow();
        X509Certificate certificate = corpus.partner().certificate();
        assertEquals(certificate.getSubjectX500Principal().getName(), signer.subject());
        assertEquals(corpus.pki().root().getSubjectX500Principal().getName(), signer.issuer());
        assertEquals(certificate.getSerialNumber(), signer.serial());
        assertEquals(certificate.getNotAfter().toInstant(), signer.notAfter());
        assertEquals(SignerRole.PARTNER, signer.role());
        assertEquals(BundleCorpus.PARTNER_CLASSES, signer.entitled());
        assertEquals(Set.of(FilterClass.CACHE), verdict.declaredClasses());
    }

    @Test
    void withoutACrlOfTheIssuerRevocationIsUnknownAndTheBundleRefused() throws Exception {
        Path jar = corpus.build(BundleCorpus.Case.VALID_PARTNER);
        Verdict verdict = new BundleVerifier(TrustStore.of(List.of(corpus.pki().root()), List.of()), Clock.systemUTC())
                .verify(jar);
        assertEquals(Set.of(ReasonCode.REVOCATION_UNKNOWN), codes(verdict));
        assertTrue(named(verdict, ReasonCode.REVOCATION_UNKNOWN, "Weir Test Vendor Root CA"), verdict.toString());
    }

    @Test
    void aCrlWithTheIssuerNameButAnotherKeyDoesNotCount() throws Exception {
        Pki impostor = Pki.init(dir.resolve("impostor"), "pw".toCharArray(), "Weir Test Vendor", 5);
        assertEquals(corpus.pki().root().getSubjectX500Principal(), impostor.root().getSubjectX500Principal());
        Path jar = corpus.build(BundleCorpus.Case.REVOKED);
        Verdict verdict = new BundleVerifier(TrustStore.of(List.of(corpus.pki().root()), List.of(impostor.crl())),
                Clock.systemUTC()).verify(jar);
        assertEquals(Set.of(ReasonCode.REVOCATION_UNKNOWN), codes(verdict), verdict.toString());
    }

    @Test
    void everyCertificateOfTheChainIsCheckedAtTheClockTimeRootIncluded() throws Exception {
        Path jar = corpus.build(BundleCorpus.Case.VALID_PARTNER);
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(400)), ZoneOffset.UTC);
        Verdict verdict = new BundleVerifier(corpus.trustStore(), later).verify(jar);
        assertEquals(Set.of(ReasonCode.EXPIRED), codes(verdict), verdict.toString());
        assertTrue(named(verdict, ReasonCode.EXPIRED, "CN=" + BundleCorpus.PARTNER), verdict.toString());
        assertTrue(named(verdict, ReasonCode.EXPIRED, "Root CA"), verdict.toString());

        Clock earlier = Clock.fixed(Instant.now().minus(Duration.ofDays(3)), ZoneOffset.UTC);
        Verdict early = new BundleVerifier(corpus.trustStore(), earlier).verify(jar);
        assertEquals(Set.of(ReasonCode.NOT_YET_VALID), codes(early), early.toString());
    }

    @Test
    void aMissingOrEmptyFilterClassesHeaderIsRefused() throws Exception {
        for (String header : new String[] {null, " "}) {
            Path unsigned = BundleCorpus.unsignedBundle(dir.resolve("no-classes-plain.jar"), header);
            Path jar = dir.resolve("no-classes.jar");
            BundleSigner.sign(unsigned, jar, corpus.partner());
            Verdict verdict = verifier().verify(jar);
            assertEquals(Set.of(ReasonCode.NO_DECLARED_CLASSES), codes(verdict), verdict.toString());
            assertTrue(named(verdict, ReasonCode.NO_DECLARED_CLASSES, BundleVerifier.FILTER_CLASSES_HEADER));
        }
    }

    @Test
    void anUnknownClassIsNamedAndTheKnownOnesStillChecked() throws Exception {
        Path unsigned = BundleCorpus.unsignedBundle(dir.resolve("unknown-plain.jar"), "CACHE, WARP_DRIVE,QOS");
        Path jar = dir.resolve("unknown.jar");
        BundleSigner.sign(unsigned, jar, corpus.partner());
        Verdict verdict = verifier().verify(jar);
        assertEquals(Set.of(ReasonCode.UNKNOWN_CLASS, ReasonCode.VENDOR_ONLY), codes(verdict), verdict.toString());
        assertTrue(named(verdict, ReasonCode.UNKNOWN_CLASS, "WARP_DRIVE"), verdict.toString());
        assertEquals(EnumSet.of(FilterClass.CACHE, FilterClass.QOS), verdict.declaredClasses());
    }

    @Test
    void aSignerWithoutTheEntitlementExtensionIsRefusedNamingIt() throws Exception {
        BouncyCastleProvider provider = new BouncyCastleProvider();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair rootKeys = generator.generateKeyPair();
        KeyPair leafKeys = generator.generateKeyPair();
        Date from = Date.from(Instant.now().minus(Duration.ofHours(1)));
        Date to = Date.from(Instant.now().plus(Duration.ofDays(2)));
        X500Name rootName = new X500Name("CN=Plain CA");
        JcaX509v3CertificateBuilder rootBuilder = new JcaX509v3CertificateBuilder(rootName, BigInteger.ONE, from, to,
                rootName, rootKeys.getPublic());
        rootBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        rootBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate root = X509.certificate(rootBuilder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").setProvider(provider).build(rootKeys.getPrivate()))
                .getEncoded());
        JcaX509v3CertificateBuilder leafBuilder = new JcaX509v3CertificateBuilder(rootName, BigInteger.TWO, from, to,
                new X500Name("CN=Plain Signer"), leafKeys.getPublic());
        leafBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        leafBuilder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
        X509Certificate leaf = X509.certificate(leafBuilder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").setProvider(provider).build(rootKeys.getPrivate()))
                .getEncoded());

        Path jar = dir.resolve("plain-signer.jar");
        BundleSigner.sign(BundleCorpus.unsignedBundle(dir.resolve("plain-signer-plain.jar"), "CACHE"), jar,
                SigningIdentity.of(leafKeys.getPrivate(), List.of(leaf, root)));
        Verdict verdict = new BundleVerifier(TrustStore.of(List.of(root), List.of()), Clock.systemUTC()).verify(jar);
        assertEquals(Set.of(ReasonCode.NO_ENTITLEMENT, ReasonCode.REVOCATION_UNKNOWN), codes(verdict), verdict.toString());
        assertTrue(named(verdict, ReasonCode.NO_ENTITLEMENT, "CN=Plain Signer"), verdict.toString());
        assertEquals(null, verdict.signer().orElseThrow().role());
    }

    @Test
    void everyReasonIsCollectedNotJustTheFirst() throws Exception {
        Path jar = corpus.build(BundleCorpus.Case.PARTNER_ENCRYPTION);
        RawZip zip = RawZip.read(jar);
        int index = zip.indexOf(BundleCorpus.CLASS_ENTRY);
        zip.items().set(index, zip.items().get(index).withData(BundleCorpus.classLike("patched")));
        zip.add(RawZip.Item.of(BundleCorpus.INJECTED_ENTRY, BundleCorpus.classLike("Injected")));
        zip.write(jar);
        Verdict verdict = new BundleVerifier(TrustStore.of(List.of(corpus.pki().root()), List.of()), Clock.systemUTC())
                .verify(jar);
        assertEquals(EnumSet.of(ReasonCode.MODIFIED_ENTRY, ReasonCode.UNSIGNED_ENTRY, ReasonCode.VENDOR_ONLY,
                ReasonCode.REVOCATION_UNKNOWN), codes(verdict), verdict.toString());
    }

    @Test
    void aMissingFileIsUnreadableAndAFileThatIsNoZipIsAStructureProblem() throws Exception {
        Verdict missing = verifier().verify(dir.resolve("absent.jar"));
        assertEquals(Set.of(ReasonCode.UNREADABLE), codes(missing));
        assertTrue(named(missing, ReasonCode.UNREADABLE, "absent.jar"), missing.toString());
        assertEquals("", missing.sha256());

        Path text = Files.writeString(dir.resolve("text.jar"), "just text");
        Verdict notZip = verifier().verify(text);
        assertTrue(codes(notZip).contains(ReasonCode.ZIP_STRUCTURE), notZip.toString());
        assertFalse(notZip.accepted());
    }

    @Test
    void trailingBytesAfterTheArchiveAndBytesBeforeTheFirstEntryAreStructureProblemsWithTheirOffset() throws Exception {
        Path signed = corpus.build(BundleCorpus.Case.VALID_PARTNER);

        RawZip trailing = RawZip.read(signed).trailing("TRAILER".getBytes(StandardCharsets.US_ASCII));
        Verdict withTrailer = verifier().verify(trailing.write(dir.resolve("trailing.jar")));
        assertTrue(withTrailer.reasons().stream().anyMatch(r -> r.code() == ReasonCode.ZIP_STRUCTURE
                && r.message().contains("7 bytes of trailing data")), withTrailer.toString());

        RawZip prefixed = RawZip.read(signed);
        RawZip.Item first = prefixed.items().get(0);
        prefixed.items().set(0, new RawZip.Item(first.name(), first.localName(), first.data(), first.deflate(), true,
                "#!/bin/sh\nexit 0\n".getBytes(StandardCharsets.US_ASCII)));
        Verdict withPrefix = verifier().verify(prefixed.write(dir.resolve("prefixed.jar")));
        assertTrue(withPrefix.reasons().stream().anyMatch(r -> r.code() == ReasonCode.ZIP_STRUCTURE
                && r.message().contains("at offset 0") && r.message().contains("before")), withPrefix.toString());
    }

    @Test
    void aManifestThatIsNotTheFirstEntryIsAStructureProblem() throws Exception {
        RawZip zip = RawZip.read(corpus.build(BundleCorpus.Case.VALID_PARTNER));
        RawZip.Item manifest = zip.items().remove(zip.indexOf(SignatureFiles.MANIFEST));
        zip.items().add(manifest);
        Verdict verdict = verifier().verify(zip.write(dir.resolve("manifest-last.jar")));
        assertEquals(Set.of(ReasonCode.ZIP_STRUCTURE), codes(verdict), verdict.toString());
        assertTrue(named(verdict, ReasonCode.ZIP_STRUCTURE, "META-INF/MANIFEST.MF"), verdict.toString());
    }
}
