package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weir.filter.FilterClass;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleSignerTest {
    @TempDir
    static Path dir;
    private static Pki pki;
    private static SigningIdentity partner;
    private static Jarsigner jarsigner;

    @BeforeAll
    static void createPki() throws Exception {
        pki = Pki.init(dir.resolve("pki"), "pw".toCharArray(), "Signer Test Vendor", 5);
        partner = pki.issuePartner("Acme", Set.of(FilterClass.CACHE), 5);
        jarsigner = new Jarsigner(dir.resolve("truststore.p12"), List.of(pki.root()));
    }

    @Test
    void signedBundlePassesJarsignerStrictAndJarFileSeesTheSignerOnEveryEntry() throws Exception {
        Path unsigned = BundleCorpus.unsignedBundle(dir.resolve("plain.jar"), "CACHE");
        Path signed = dir.resolve("signed.jar");
        BundleSigner.sign(unsigned, signed, partner);

        Jarsigner.Result result = jarsigner.verify(signed);
        assertTrue(result.accepted(), result.output());

        int checked = 0;
        try (JarFile jar = new JarFile(signed.toFile(), true)) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                jar.getInputStream(entry).readAllBytes();
                if (entry.isDirectory() || SignatureFiles.isSignatureFile(entry.getName())) {
                    continue;
                }
                CodeSigner[] signers = entry.getCodeSigners();
                assertEquals(1, signers.length, entry.getName());
                assertEquals(partner.certificate(), signers[0].getSignerCertPath().getCertificates().get(0));
                checked++;
            }
            assertEquals("CACHE", jar.getManifest().getMainAttributes().getValue(BundleVerifier.FILTER_CLASSES_HEADER));
            assertEquals(BundleCorpus.SYMBOLIC_NAME, jar.getManifest().getMainAttributes().getValue("Bundle-SymbolicName"));
        }
        assertEquals(3, checked);
    }

    @Test
    void signatureFilesComeFirstSoJarInputStreamSeesTheManifest() throws Exception {
        Path signed = dir.resolve("order.jar");
        BundleSigner.sign(BundleCorpus.unsignedBundle(dir.resolve("order-plain.jar"), "CACHE"), signed, partner);
        List<String> names = new ArrayList<>();
        try (JarFile jar = new JarFile(signed.toFile())) {
            Collections.list(jar.entries()).forEach(e -> names.add(e.getName()));
        }
        assertEquals(List.of("META-INF/MANIFEST.MF", "META-INF/WEIR.SF", "META-INF/WEIR.EC"), names.subList(0, 3));
        try (JarInputStream in = new JarInputStream(Files.newInputStream(signed), true)) {
            assertEquals("CACHE", in.getManifest().getMainAttributes().getValue(BundleVerifier.FILTER_CLASSES_HEADER));
        }
    }

    @Test
    void resigningReplacesTheOldSignerAndJarsignerStillAccepts() throws Exception {
        Path bundle = BundleCorpus.unsignedBundle(dir.resolve("resign.jar"), "CACHE");
        BundleSigner.sign(bundle, bundle, partner);
        SigningIdentity renewed = pki.issuePartner("Acme Renewed", Set.of(FilterClass.CACHE), 5);
        BundleSigner.resign(bundle, bundle, renewed);
        Verdict verdict = new BundleVerifier(TrustStore.of(List.of(pki.root()), List.of(pki.crl())), Clock.systemUTC())
                .verify(bundle);
        assertTrue(verdict.accepted(), verdict.reasons().toString());
        assertEquals(renewed.certificate().getSerialNumber(), verdict.signer().orElseThrow().serial());
        assertTrue(jarsigner.verify(bundle).accepted());
        assertThrows(IOException.class, () -> BundleSigner.sign(bundle, dir.resolve("twice.jar"), partner),
                "plain sign still refuses a signed bundle");
    }

    @Test
    void signingInPlaceReplacesTheFileWithTheSignedBundle() throws Exception {
        Path bundle = BundleCorpus.unsignedBundle(dir.resolve("in-place.jar"), "CACHE");
        BundleSigner.sign(bundle, bundle, partner);
        Verdict verdict = new BundleVerifier(TrustStore.of(List.of(pki.root()), List.of(pki.crl())), Clock.systemUTC())
                .verify(bundle);
        assertTrue(verdict.accepted(), verdict.reasons().toString());
    }

    @Test
    void longAndNonAsciiNamesAndStrongerDigestsStillVerify() throws Exception {
        String longName = "io/weir/sample/" + "deeply/nested/".repeat(5) + "Überlänge-résumé-数据-" + "x".repeat(40)
                + ".properties";
        Path unsigned = dir.resolve("long-plain.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        manifest.getMainAttributes().putValue(BundleVerifier.FILTER_CLASSES_HEADER, "CACHE");
        manifest.getMainAttributes().putValue("Bundle-Description", "a long description ".repeat(10) + "ünïcødé");
        try (OutputStream file = Files.newOutputStream(unsigned); JarOutputStream jar = new JarOutputStream(file, manifest)) {
            jar.putNextEntry(new JarEntry(longName));
            jar.write("k=v\n".getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        TrustStore trust = TrustStore.of(List.of(pki.root()), List.of(pki.crl()));
        for (String digest : List.of("SHA-384", "SHA-512")) {
            Path signed = dir.resolve("long-" + digest + ".jar");
            BundleSigner.sign(unsigned, signed, partner, digest);
            Verdict verdict = new BundleVerifier(trust, Clock.systemUTC()).verify(signed);
            assertTrue(verdict.accepted(), digest + ": " + verdict.reasons());
            try (JarFile jar = new JarFile(signed.toFile(), true)) {
                JarEntry entry = jar.getJarEntry(longName);
                jar.getInputStream(entry).readAllBytes();
                assertEquals(1, entry.getCodeSigners().length, digest);
            }
        }
        Jarsigner.Result result = jarsigner.verify(dir.resolve("long-SHA-512.jar"));
        assertTrue(result.accepted(), result.output());
    }

    @Test
    void anAlreadySignedBundleIsRefusedNamingItsSignatureFile() throws Exception {
        Path signed = dir.resolve("twice.jar");
        BundleSigner.sign(BundleCorpus.unsignedBundle(dir.resolve("twice-plain.jar"), "CACHE"), signed, partner);
        IOException e = assertThrows(IOException.class,
                () -> BundleSigner.sign(signed, dir.resolve("twice-again.jar"), pki.vendor()));
        assertTrue(e.getMessage().contains("META-INF/WEIR.SF"), e.getMessage());
    }

    @Test
    void aMalformedZipIsRefusedNamingTheProblem() throws Exception {
        Path unsigned = BundleCorpus.unsignedBundle(dir.resolve("junk-plain.jar"), "CACHE");
        byte[] bytes = Files.readAllBytes(unsigned);
        byte[] junk = "JUNK".getBytes(StandardCharsets.US_ASCII);
        byte[] withJunk = java.util.Arrays.copyOf(bytes, bytes.length + junk.length);
        System.arraycopy(junk, 0, withJunk, bytes.length, junk.length);
        Path bad = Files.write(dir.resolve("junk.jar"), withJunk);
        IOException e = assertThrows(IOException.class, () -> BundleSigner.sign(bad, dir.resolve("junk-out.jar"), partner));
        assertTrue(e.getMessage().contains("trailing"), e.getMessage());
    }

    @Test
    void anUnknownDigestOrBadSignatureNameIsRefused() throws Exception {
        Path unsigned = BundleCorpus.unsignedBundle(dir.resolve("alg-plain.jar"), "CACHE");
        Path out = dir.resolve("alg.jar");
        NoSuchAlgorithmException e = assertThrows(NoSuchAlgorithmException.class,
                () -> BundleSigner.sign(unsigned, out, partner, "MD5"));
        assertTrue(e.getMessage().contains("MD5"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> BundleSigner.sign(unsigned, out, partner, "SHA-256", "lower"));
        assertTrue(Files.notExists(out), "nothing written");
    }

    @Test
    void entryContentAndOrderSurviveSigning() throws Exception {
        Path unsigned = BundleCorpus.unsignedBundle(dir.resolve("content-plain.jar"), "CACHE");
        Path signed = dir.resolve("content.jar");
        BundleSigner.sign(unsigned, signed, partner);
        RawZip before = RawZip.read(unsigned);
        RawZip after = RawZip.read(signed);
        List<String> beforeNames = before.items().stream().map(RawZip.Item::name)
                .filter(n -> !n.equals("META-INF/MANIFEST.MF")).toList();
        List<String> afterNames = after.items().stream().map(RawZip.Item::name)
                .filter(n -> !SignatureFiles.isSignatureFile(n)).toList();
        assertEquals(beforeNames, afterNames);
        for (String name : beforeNames) {
            assertArrayEquals(before.data(name), after.data(name), name);
        }
        assertNull(new Manifest(new java.io.ByteArrayInputStream(after.data("META-INF/MANIFEST.MF")))
                .getAttributes("io/"), "directories get no digest");
    }
}
