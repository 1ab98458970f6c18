package io.weir.samples.replication;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test certificate authority: a root, and node certificates (usable as TLS client and server, naming localhost
 * and 127.0.0.1) written as a PKCS#12 keystore, a password file and the root as PEM: the files the filter and the
 * receiver are configured with.
 */
final class TestPki {
    /** The files of one node, and its certificate's serial number. */
    record Node(Path keystore, Path passwordFile, Path trust, BigInteger serial) {
    }

    private final SecureRandom random = new SecureRandom();
    private final KeyPair rootKey;
    private final X509Certificate root;
    private final Path dir;
    private final Path rootPem;

    TestPki(Path dir, String name) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.rootKey = keyPair();
        X500Name subject = new X500Name("CN=" + name + " Replication Root");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(30))), subject, rootKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.root = new JcaX509CertificateConverter().getCertificate(b.build(signer(rootKey)));
        this.rootPem = dir.resolve(name + "-root.pem");
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(root);
        }
        Files.writeString(rootPem, pem.toString());
    }

    /** A node certificate issued by this root, trusting this root. */
    Node node(String name) throws Exception {
        return node(name, rootPem);
    }

    /** A node certificate issued by this root, trusting the root in {@code trust}. */
    Node node(String name, Path trust) throws Exception {
        KeyPair key = keyPair();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(root, serial(), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(7))), new X500Name("CN=" + name), key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(rootKey)));
        String password = "pw-" + Long.toHexString(random.nextLong());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(name, key.getPrivate(), password.toCharArray(), new Certificate[] {cert, root});
        Path keystore = dir.resolve(name + ".p12");
        try (OutputStream out = Files.newOutputStream(keystore)) {
            ks.store(out, password.toCharArray());
        }
        Path passwordFile = dir.resolve(name + ".password");
        Files.write(passwordFile, (password + "\n").getBytes(StandardCharsets.UTF_8));
        return new Node(keystore, passwordFile, trust, cert.getSerialNumber());
    }

    Path rootPem() {
        return rootPem;
    }

    /** A CRL of this root revoking {@code serials} (PEM), valid from a minute ago until {@code nextUpdate}. */
    Path crl(String name, Instant nextUpdate, BigInteger... serials) throws Exception {
        Instant now = Instant.now();
        X509v2CRLBuilder b = new X509v2CRLBuilder(new X500Name(root.getSubjectX500Principal().getName()),
                Date.from(now.minusSeconds(60)));
        b.setNextUpdate(Date.from(nextUpdate));
        for (BigInteger serial : serials) {
            b.addCRLEntry(serial, Date.from(now.minusSeconds(30)), CRLReason.keyCompromise);
        }
        Path file = dir.resolve(name + ".crl");
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(new JcaX509CRLConverter().getCRL(b.build(signer(rootKey))));
        }
        Files.writeString(file, pem.toString());
        return file;
    }

    static TlsCredentials credentials(Node n) throws IOException {
        return TlsCredentials.load(n.keystore(), n.passwordFile(), n.trust());
    }

    private BigInteger serial() {
        return new BigInteger(64, random).abs().add(BigInteger.ONE);
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static ContentSigner signer(KeyPair key) throws Exception {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate());
    }
}
