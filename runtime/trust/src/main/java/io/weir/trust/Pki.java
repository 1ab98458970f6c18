package io.weir.trust;

import io.weir.filter.FilterClass;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A vendor PKI kept in one directory:
 * <ul>
 *   <li>{@value #KEYSTORE_FILE}: password-protected PKCS#12 with the root CA key ({@value #ROOT_ALIAS}) and the
 *       vendor signing key ({@value #VENDOR_ALIAS}, chain vendor certificate then root);</li>
 *   <li>{@value #ROOT_FILE}: the root certificate (PEM), to install in runtimes' trust stores;</li>
 *   <li>{@value #CRL_FILE}: the root's CRL (PEM) listing every certificate revoked so far, to install beside it;</li>
 *   <li>{@value #ISSUED_DIR}/: one PEM per signing certificate issued, named by serial number (the record of issued
 *       certificates; their revocation state comes from the CRL);</li>
 *   <li>{@value #NODES_DIR}/: the same for node certificates, which runtimes present to each other over mutual TLS
 *       (replication): serverAuth and clientAuth, the node's host names and addresses, no entitlement, so never
 *       accepted as a bundle signer.</li>
 * </ul>
 * Keys are EC P-256, signatures SHA256withECDSA. The root is a CA (basicConstraints critical, keyCertSign and
 * cRLSign); signing certificates carry digitalSignature, extendedKeyUsage codeSigning and the non-critical
 * {@link Entitlement} extension. Partner private keys are returned to the caller, never kept here.
 *
 * <p>Not safe for concurrent use by several processes on the same directory. Uses a BouncyCastle provider
 * instance of its own and registers nothing with the JCA.
 */
public final class Pki {
    /** The PKCS#12 file holding the root and vendor keys. */
    public static final String KEYSTORE_FILE = "vendor.p12";
    /** The root certificate, PEM. */
    public static final String ROOT_FILE = "root.pem";
    /** The root's CRL, PEM. */
    public static final String CRL_FILE = "root.crl";
    /** The directory of issued certificates. */
    public static final String ISSUED_DIR = "issued";
    /** The directory of issued node (TLS) certificates. */
    public static final String NODES_DIR = "nodes";
    /** Alias of the root CA key in {@value #KEYSTORE_FILE}. */
    public static final String ROOT_ALIAS = "root";
    /** Alias of the vendor signing key in {@value #KEYSTORE_FILE}. */
    public static final String VENDOR_ALIAS = "vendor";

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final String CURVE = "secp256r1";
    private static final int SERIAL_BITS = 127;
    /** How long a CRL says it is current. The verifier does not enforce it; republish with {@link #revoke}. */
    private static final Duration CRL_VALIDITY = Duration.ofDays(30);
    /** Slack for clocks of machines that check certificates just issued. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);

    private final Path dir;
    private final SigningIdentity root;
    private final SigningIdentity vendor;
    private final BouncyCastleProvider provider;
    private final SecureRandom random;
    private X509CRL crl;

    private Pki(Path dir, SigningIdentity root, SigningIdentity vendor, X509CRL crl, BouncyCastleProvider provider,
                SecureRandom random) {
        this.random = random;
        this.dir = dir;
        this.root = root;
        this.vendor = vendor;
        this.crl = crl;
        this.provider = provider;
    }

    /**
     * Creates a PKI in {@code dir} (created if absent): a root CA and a vendor signing certificate entitled to every
     * filter class, both valid for {@code days} days, and an empty CRL.
     *
     * @throws IOException when {@code dir} already holds a PKI, or on a file error
     */
    public static Pki init(Path dir, char[] password, String vendorName, int days)
            throws IOException, GeneralSecurityException {
        return init(dir, password, vendorName, days, new SecureRandom());
    }

    /** {@link #init(Path, char[], String, int)} drawing keys and serials from {@code random} (the development PKI). */
    static Pki init(Path dir, char[] password, String vendorName, int days, SecureRandom random)
            throws IOException, GeneralSecurityException {
        requireName(vendorName, "vendor name");
        if (days <= 0) {
            throw new IllegalArgumentException("validity must be at least one day, not " + days);
        }
        for (String existing : List.of(KEYSTORE_FILE, ROOT_FILE, CRL_FILE, ISSUED_DIR)) {
            if (Files.exists(dir.resolve(existing))) {
                throw new IOException(dir + " already holds a PKI (" + existing + " exists); refusing to overwrite it");
            }
        }
        Files.createDirectories(dir.resolve(ISSUED_DIR));
        BouncyCastleProvider provider = new BouncyCastleProvider();
        Instant notBefore = Instant.now().minus(BACKDATE).truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = notBefore.plus(Duration.ofDays(days));

        KeyPair rootKeys = generateKeyPair(random);
        X500Name rootName = name(vendorName + " Root CA", vendorName);
        JcaX509v3CertificateBuilder rootBuilder = new JcaX509v3CertificateBuilder(rootName, serial(random),
                Date.from(notBefore), Date.from(notAfter), rootName, rootKeys.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        rootBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        rootBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        rootBuilder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(rootKeys.getPublic()));
        X509Certificate rootCert = sign(rootBuilder, rootKeys.getPrivate(), provider);
        SigningIdentity root = SigningIdentity.of(rootKeys.getPrivate(), List.of(rootCert));

        KeyPair vendorKeys = generateKeyPair(random);
        X509Certificate vendorCert = issue(root, name(vendorName + " Code Signing", vendorName), vendorKeys.getPublic(),
                new Entitlement(SignerRole.VENDOR, EnumSet.allOf(FilterClass.class)), serial(random),
                notBefore, notAfter, provider);
        SigningIdentity vendor = SigningIdentity.of(vendorKeys.getPrivate(), List.of(vendorCert, rootCert));

        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(ROOT_ALIAS, root.privateKey(), password, new Certificate[] {rootCert});
        store.setKeyEntry(VENDOR_ALIAS, vendor.privateKey(), password, new Certificate[] {vendorCert, rootCert});
        X509.writeAtomically(dir.resolve(KEYSTORE_FILE), SigningIdentity.encode(store, password));
        X509.writeAtomically(dir.resolve(ROOT_FILE), X509.pem(rootCert));

        Pki pki = new Pki(dir, root, vendor, null, provider, random);
        pki.record(vendorCert);
        pki.publishCrl(null, null, null);
        return pki;
    }

    /**
     * Opens an existing PKI.
     *
     * @throws IOException when a file is missing or unreadable, or the password is wrong
     * @throws GeneralSecurityException when the files do not fit together (e.g. {@value #ROOT_FILE} is not the
     *         root in {@value #KEYSTORE_FILE}, or the CRL is not signed by it)
     */
    public static Pki open(Path dir, char[] password) throws IOException, GeneralSecurityException {
        Path keystoreFile = dir.resolve(KEYSTORE_FILE);
        if (!Files.isRegularFile(keystoreFile)) {
            throw new IOException(dir + " holds no PKI: " + KEYSTORE_FILE + " is missing");
        }
        KeyStore store = SigningIdentity.loadKeyStore(keystoreFile, password);
        for (String alias : List.of(ROOT_ALIAS, VENDOR_ALIAS)) {
            if (!store.isKeyEntry(alias)) {
                throw new GeneralSecurityException(keystoreFile + " has no key entry '" + alias + "'");
            }
        }
        SigningIdentity root = SigningIdentity.fromEntry(store, ROOT_ALIAS, password, keystoreFile);
        SigningIdentity vendor = SigningIdentity.fromEntry(store, VENDOR_ALIAS, password, keystoreFile);
        X509Certificate rootFromPem = X509.certificate(Files.readAllBytes(dir.resolve(ROOT_FILE)));
        if (!rootFromPem.equals(root.certificate())) {
            throw new GeneralSecurityException(dir.resolve(ROOT_FILE) + " is not the root certificate of " + keystoreFile);
        }
        Path crlFile = dir.resolve(CRL_FILE);
        X509CRL crl = X509.crl(Files.readAllBytes(crlFile));
        try {
            crl.verify(root.certificate().getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException(crlFile + " is not signed by the root of " + keystoreFile, e);
        }
        return new Pki(dir, root, vendor, crl, new BouncyCastleProvider(), new SecureRandom());
    }

    /** The root CA certificate. */
    public X509Certificate root() {
        return root.certificate();
    }

    /** The vendor signing identity: entitlement {@link SignerRole#VENDOR} with every filter class; chain vendor, root. */
    public SigningIdentity vendor() {
        return vendor;
    }

    /**
     * Issues a partner signing certificate valid from now for {@code days} days (but never beyond the root), with a
     * fresh key pair.
     *
     * @throws IllegalArgumentException when {@code classes} is empty or holds a vendor-only class
     */
    public SigningIdentity issuePartner(String name, Set<FilterClass> classes, int days)
            throws IOException, GeneralSecurityException {
        if (days <= 0) {
            throw new IllegalArgumentException("validity must be at least one day, not " + days);
        }
        Instant notBefore = Instant.now().minus(BACKDATE);
        Instant notAfter = notBefore.plus(Duration.ofDays(days));
        Instant rootEnd = root().getNotAfter().toInstant();
        return issuePartner(name, classes, notBefore, notAfter.isAfter(rootEnd) ? rootEnd : notAfter);
    }

    /**
     * Issues a partner signing certificate with an explicit validity, e.g. one already expired or not yet valid.
     *
     * @throws IllegalArgumentException when {@code classes} is empty or holds a vendor-only class, or
     *         {@code notAfter} is not after {@code notBefore}
     */
    public SigningIdentity issuePartner(String name, Set<FilterClass> classes, Instant notBefore, Instant notAfter)
            throws IOException, GeneralSecurityException {
        requireName(name, "partner name");
        Set<FilterClass> entitled = Entitlement.copyOf(classes);
        if (entitled.isEmpty()) {
            throw new IllegalArgumentException("a partner certificate must entitle at least one filter class");
        }
        List<FilterClass> vendorOnly = entitled.stream().filter(FilterClass::vendorOnly).toList();
        if (!vendorOnly.isEmpty()) {
            throw new IllegalArgumentException("filter classes " + vendorOnly + " are vendor-only; a partner ("
                    + name + ") cannot be entitled to them");
        }
        Instant start = notBefore.truncatedTo(ChronoUnit.SECONDS);
        Instant end = notAfter.truncatedTo(ChronoUnit.SECONDS);
        if (!end.isAfter(start)) {
            throw new IllegalArgumentException("notAfter " + notAfter + " is not after notBefore " + notBefore);
        }
        KeyPair keys = generateKeyPair(random);
        X509Certificate certificate = issue(root, name(name, null), keys.getPublic(),
                new Entitlement(SignerRole.PARTNER, entitled), serial(random), start, end, provider);
        record(certificate);
        return SigningIdentity.of(keys.getPrivate(), List.of(certificate, root()));
    }

    /**
     * Issues a node certificate for mutual TLS between runtimes (replication), valid from now for {@code days} days
     * (never beyond the root), with a fresh key pair: extended key usage serverAuth and clientAuth, subject
     * alternative names for {@code hosts} (DNS names, or IPv4/IPv6 literals), no {@link Entitlement}. Its chain is
     * the node certificate then the root; peers trust the root ({@value #ROOT_FILE}) and check the CRL.
     *
     * @throws IllegalArgumentException when {@code name} is blank, {@code hosts} is empty or holds a malformed entry
     */
    public SigningIdentity issueNode(String name, List<String> hosts, int days) throws IOException, GeneralSecurityException {
        requireName(name, "node name");
        if (days <= 0) {
            throw new IllegalArgumentException("validity must be at least one day, not " + days);
        }
        if (hosts == null || hosts.isEmpty()) {
            throw new IllegalArgumentException("a node certificate needs at least one host name or address");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            names.add(hostName(host));
        }
        Instant start = Instant.now().minus(BACKDATE).truncatedTo(ChronoUnit.SECONDS);
        Instant end = start.plus(Duration.ofDays(days));
        Instant rootEnd = root().getNotAfter().toInstant();
        if (end.isAfter(rootEnd)) {
            end = rootEnd;
        }
        KeyPair keys = generateKeyPair(random);
        X509Certificate rootCert = root.certificate();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(rootCert, serial(random),
                Date.from(start), Date.from(end), name(name, null), keys.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(names.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
        builder.addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(rootCert));
        X509Certificate certificate = sign(builder, root.privateKey(), provider);
        Path file = nodeFile(certificate.getSerialNumber());
        Files.createDirectories(file.getParent());
        X509.writeAtomically(file, X509.pem(certificate));
        return SigningIdentity.of(keys.getPrivate(), List.of(certificate, root()));
    }

    /** A host as a subject alternative name: an IP address literal, or a DNS name. */
    private static GeneralName hostName(String host) {
        String h = host == null ? "" : host.trim();
        if (h.isEmpty()) {
            throw new IllegalArgumentException("a host name must not be blank");
        }
        boolean ipv4 = h.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (ipv4 || h.contains(":")) {
            if (ipv4 && Arrays.stream(h.split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255)) {
                throw new IllegalArgumentException("'" + host + "' is not an IPv4 address");
            }
            try {
                return new GeneralName(GeneralName.iPAddress, h);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + host + "' is not an IP address", e);
            }
        }
        if (!h.matches("(?i)(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
            throw new IllegalArgumentException("'" + host + "' is not a DNS name or an IP address");
        }
        return new GeneralName(GeneralName.dNSName, h);
    }

    /** Every node certificate this PKI issued, oldest first. */
    public List<IssuedNode> issuedNodes() throws IOException, GeneralSecurityException {
        List<IssuedNode> nodes = new ArrayList<>();
        Path folder = dir.resolve(NODES_DIR);
        if (!Files.isDirectory(folder)) {
            return nodes;
        }
        List<X509Certificate> certificates = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.pem")) {
            for (Path file : files) {
                certificates.add(X509.certificate(Files.readAllBytes(file)));
            }
        }
        certificates.sort(Comparator.comparing(X509Certificate::getNotBefore)
                .thenComparing(X509Certificate::getSerialNumber));
        for (X509Certificate c : certificates) {
            List<String> hosts = new ArrayList<>();
            if (c.getSubjectAlternativeNames() != null) {
                c.getSubjectAlternativeNames().forEach(n -> hosts.add(String.valueOf(n.get(1))));
            }
            nodes.add(new IssuedNode(c.getSerialNumber(), X509.subject(c), hosts, c.getNotAfter().toInstant(),
                    crl.getRevokedCertificate(c.getSerialNumber()) != null));
        }
        return nodes;
    }

    /**
     * Revokes a certificate this PKI issued and rewrites {@value #CRL_FILE} with every revocation so far.
     *
     * @param reason an RFC 5280 reason name ({@code keyCompromise}, {@code KEY_COMPROMISE}, {@code superseded},
     *               ...), or {@code null}/blank for unspecified
     * @throws IllegalArgumentException when this PKI did not issue {@code serial}, it is already revoked, or the
     *         reason is unknown
     */
    public X509CRL revoke(BigInteger serial, String reason) throws IOException, GeneralSecurityException {
        Objects.requireNonNull(serial, "serial");
        CRLReason crlReason = reason(reason);
        if (!Files.isRegularFile(issuedFile(serial)) && !Files.isRegularFile(nodeFile(serial))) {
            throw new IllegalArgumentException("this PKI issued no certificate with serial " + X509.hex(serial)
                    + " (see " + dir.resolve(ISSUED_DIR) + ")");
        }
        if (crl.getRevokedCertificate(serial) != null) {
            throw new IllegalArgumentException("certificate with serial " + X509.hex(serial) + " is already revoked");
        }
        publishCrl(serial, crlReason, crl);
        return crl;
    }

    /** The current CRL of the root. */
    public X509CRL crl() {
        return crl;
    }

    /** Every certificate this PKI issued (the vendor signing certificate included), oldest first. */
    public List<IssuedCertificate> issued() throws IOException, GeneralSecurityException {
        List<X509Certificate> certificates = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve(ISSUED_DIR), "*.pem")) {
            for (Path file : files) {
                certificates.add(X509.certificate(Files.readAllBytes(file)));
            }
        }
        certificates.sort(Comparator.comparing(X509Certificate::getNotBefore)
                .thenComparing(X509Certificate::getSerialNumber));
        List<IssuedCertificate> issued = new ArrayList<>();
        for (X509Certificate certificate : certificates) {
            Entitlement entitlement = Entitlement.of(certificate).orElseThrow(() -> new GeneralSecurityException(
                    "issued certificate " + X509.subject(certificate) + " has no entitlement"));
            issued.add(new IssuedCertificate(certificate.getSerialNumber(), X509.subject(certificate),
                    entitlement.role(), entitlement.classes(), certificate.getNotAfter().toInstant(),
                    crl.getRevokedCertificate(certificate.getSerialNumber()) != null));
        }
        return issued;
    }

    /** The root certificate file (PEM). */
    public Path rootCertificateFile() {
        return dir.resolve(ROOT_FILE);
    }

    /** The CRL file (PEM). */
    public Path crlFile() {
        return dir.resolve(CRL_FILE);
    }

    private Path nodeFile(BigInteger serial) {
        return dir.resolve(NODES_DIR).resolve(X509.hex(serial) + ".pem");
    }

    private Path issuedFile(BigInteger serial) {
        return dir.resolve(ISSUED_DIR).resolve(X509.hex(serial) + ".pem");
    }

    private void record(X509Certificate certificate) throws IOException, GeneralSecurityException {
        X509.writeAtomically(issuedFile(certificate.getSerialNumber()), X509.pem(certificate));
    }

    /** Writes a new CRL holding the previous one's entries plus, when {@code serial} is given, that one. */
    private void publishCrl(BigInteger serial, CRLReason reason, X509CRL previous)
            throws IOException, GeneralSecurityException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509CertificateHolder rootHolder = new X509CertificateHolder(root().getEncoded());
        X509v2CRLBuilder builder = new X509v2CRLBuilder(rootHolder.getSubject(), Date.from(now));
        builder.setNextUpdate(Date.from(now.plus(CRL_VALIDITY)));
        BigInteger number = BigInteger.ONE;
        if (previous != null) {
            builder.addCRL(new X509CRLHolder(previous.getEncoded()));
            byte[] previousNumber = previous.getExtensionValue(Extension.cRLNumber.getId());
            if (previousNumber != null) {
                number = ASN1Integer.getInstance(
                        org.bouncycastle.asn1.ASN1OctetString.getInstance(previousNumber).getOctets())
                        .getValue().add(BigInteger.ONE);
            }
        }
        if (serial != null) {
            builder.addCRLEntry(serial, Date.from(now), bcReason(reason));
        }
        try {
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(root()));
            builder.addExtension(Extension.cRLNumber, false, new ASN1Integer(number));
            X509CRLHolder holder = builder.build(contentSigner(root.privateKey(), provider));
            X509CRL next = X509.crl(holder.getEncoded());
            X509.writeAtomically(crlFile(), X509.pem(next));
            crl = next;
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the CRL: " + e.getMessage(), e);
        }
    }

    private static X509Certificate issue(SigningIdentity issuer, X500Name subject, PublicKey key,
                                         Entitlement entitlement, BigInteger serial, Instant notBefore,
                                         Instant notAfter, BouncyCastleProvider provider)
            throws IOException, GeneralSecurityException {
        X509Certificate issuerCert = issuer.certificate();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerCert, serial,
                Date.from(notBefore), Date.from(notAfter),
                subject, key);
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
        builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(key));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                extensions.createAuthorityKeyIdentifier(issuerCert));
        builder.addExtension(new ASN1ObjectIdentifier(Entitlement.OID), false, entitlement.encoded());
        return sign(builder, issuer.privateKey(), provider);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key, BouncyCastleProvider provider)
            throws IOException, GeneralSecurityException {
        try {
            return X509.certificate(builder.build(contentSigner(key, provider)).getEncoded());
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    private static ContentSigner contentSigner(PrivateKey key, BouncyCastleProvider provider)
            throws OperatorCreationException {
        return new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).setProvider(provider).build(key);
    }

    private static KeyPair generateKeyPair(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(CURVE), random);
        return generator.generateKeyPair();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(SERIAL_BITS, random).setBit(SERIAL_BITS - 1);
    }

    private static X500Name name(String commonName, String organization) {
        X500NameBuilder builder = new X500NameBuilder(BCStyle.INSTANCE);
        if (organization != null) {
            builder.addRDN(BCStyle.O, organization);
        }
        builder.addRDN(BCStyle.CN, commonName);
        return builder.build();
    }

    private static void requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("the " + what + " must not be blank");
        }
    }

    /** The revocation reasons a vendor may state; the others (hold, removeFromCRL, AA) make no sense here. */
    private static final Set<CRLReason> REVOCATION_REASONS = EnumSet.of(CRLReason.UNSPECIFIED,
            CRLReason.KEY_COMPROMISE, CRLReason.CA_COMPROMISE, CRLReason.AFFILIATION_CHANGED, CRLReason.SUPERSEDED,
            CRLReason.CESSATION_OF_OPERATION, CRLReason.PRIVILEGE_WITHDRAWN);

    private static CRLReason reason(String text) {
        if (text == null || text.isBlank()) {
            return CRLReason.UNSPECIFIED;
        }
        String wanted = text.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
        Optional<CRLReason> match = REVOCATION_REASONS.stream()
                .filter(r -> r.name().replace("_", "").toLowerCase(Locale.ROOT).equals(wanted))
                .findFirst();
        return match.orElseThrow(() -> new IllegalArgumentException("unknown revocation reason '" + text
                + "'; expected one of " + REVOCATION_REASONS.stream().map(Pki::camelCase)
                .collect(Collectors.joining(", "))));
    }

    private static String camelCase(CRLReason reason) {
        String[] words = reason.name().toLowerCase(Locale.ROOT).split("_");
        StringBuilder text = new StringBuilder(words[0]);
        Arrays.stream(words).skip(1).forEach(w -> text.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1)));
        return text.toString();
    }

    private static int bcReason(CRLReason reason) {
        return switch (reason) {
            case KEY_COMPROMISE -> org.bouncycastle.asn1.x509.CRLReason.keyCompromise;
            case CA_COMPROMISE -> org.bouncycastle.asn1.x509.CRLReason.cACompromise;
            case AFFILIATION_CHANGED -> org.bouncycastle.asn1.x509.CRLReason.affiliationChanged;
            case SUPERSEDED -> org.bouncycastle.asn1.x509.CRLReason.superseded;
            case CESSATION_OF_OPERATION -> org.bouncycastle.asn1.x509.CRLReason.cessationOfOperation;
            case PRIVILEGE_WITHDRAWN -> org.bouncycastle.asn1.x509.CRLReason.privilegeWithdrawn;
            default -> org.bouncycastle.asn1.x509.CRLReason.unspecified;
        };
    }
}
