package io.weir.trust;

import io.weir.filter.FilterClass;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.DataFormatException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Decides whether a filter bundle may be installed, collecting every reason to refuse it (never stopping at the first,
 * never throwing for bad input). A bundle is accepted only when all of this holds:
 * <ol>
 *   <li><b>Structure</b>: an independent strict parse of the ZIP ({@code ZIP_STRUCTURE}: see the checks listed on the
 *       package-private {@code ZipImage}) finds the central directory and the local headers in exact agreement, no
 *       byte outside an entry, no ZIP64, and no duplicate names ({@code DUPLICATE_ENTRY}).</li>
 *   <li><b>Signature</b>, checked by {@link JarFile} (every entry read fully, then its code signers) and by a parse of
 *       the signature files: a manifest ({@code NO_MANIFEST}); a signature at all ({@code UNSIGNED}); <em>exactly one
 *       signer</em>, one {@code .SF} with one signature block holding one signer info ({@code MULTIPLE_SIGNERS});
 *       the block verifies ({@code BAD_SIGNATURE}); only SHA-256/384/512 in the manifest, the {@code .SF} and the CMS
 *       signature ({@code WEAK_DIGEST}); every entry but directories and the signature files
 *       ({@code META-INF/MANIFEST.MF}, {@code META-INF/*.SF}, {@code *.RSA}, {@code *.DSA}, {@code *.EC}) is signed
 *       ({@code UNSIGNED_ENTRY}), unmodified ({@code MODIFIED_ENTRY}), and every entry the signed manifest names is
 *       present ({@code MISSING_ENTRY}).</li>
 *   <li><b>Trust</b> at the clock's time: the signer's chain validates to a root of the {@link TrustStore} with the
 *       JDK's PKIX validator (revocation off there) and its certificate is for code signing ({@code UNTRUSTED}); every
 *       certificate of the chain, root included, is within its validity ({@code EXPIRED}, {@code NOT_YET_VALID});
 *       for every certificate but the root, a CRL of the trust store issued and signed by its issuer exists
 *       ({@code REVOCATION_UNKNOWN}: strict, no CRL means refusal) and does not list it ({@code REVOKED}; listed in any
 *       such CRL counts). CRL {@code nextUpdate} is not enforced: the newest CRL the operator installed is used.</li>
 *   <li><b>Entitlement</b>: the signing certificate carries the {@link Entitlement} extension
 *       ({@code NO_ENTITLEMENT}); the manifest header {@value #FILTER_CLASSES_HEADER} exists and is non-empty
 *       ({@code NO_DECLARED_CLASSES}), names only filter classes ({@code UNKNOWN_CLASS}), each entitled
 *       ({@code NOT_ENTITLED}); a partner never ships a vendor-only class, whatever its certificate lists
 *       ({@code VENDOR_ONLY}).</li>
 * </ol>
 *
 * <p>Where Weir is stricter than {@code jarsigner -verify -strict} (which also accepts the bundles Weir accepts):
 * jarsigner knows nothing of Weir's CRLs (a certificate without a CRL distribution point is not checked for
 * revocation), of entitlements and declared classes; it reads the JAR through the central directory like
 * {@link JarFile}, so it does not see local headers that disagree with it, entries hidden between entries, or a
 * duplicate name whose copy has the same bytes (a copy with other bytes fails the JDK's digest check too); and it
 * accepts an entry named by the signed manifest but removed from the JAR, and a second signer. The test corpus
 * ({@code BundleCorpus} in this module's test-jar) asserts each of these differences.
 *
 * <p>Thread-safe; uses a BouncyCastle provider instance of its own and registers nothing with the JCA.
 */
public final class BundleVerifier {
    /** Manifest main attribute: the comma-separated {@link FilterClass} names the bundle declares. */
    public static final String FILTER_CLASSES_HEADER = "Weir-Filter-Classes";

    /** Largest bundle read (bigger files are refused as unreadable). */
    private static final long MAX_BUNDLE_BYTES = 1L << 30;
    private static final Set<String> STRONG_DIGESTS = Set.of("SHA-256", "SHA-384", "SHA-512");
    private static final Map<String, String> STRONG_DIGEST_OIDS = Map.of(
            "2.16.840.1.101.3.4.2.1", "SHA-256", "2.16.840.1.101.3.4.2.2", "SHA-384",
            "2.16.840.1.101.3.4.2.3", "SHA-512");
    private static final Map<String, String> WEAK_DIGEST_OIDS = Map.of(
            "1.3.14.3.2.26", "SHA-1", "1.2.840.113549.2.5", "MD5", "1.2.840.113549.2.2", "MD2");
    private static final Map<String, String> WEAK_SIGNATURE_OIDS = Map.of(
            "1.2.840.10045.4.1", "SHA1withECDSA", "1.2.840.113549.1.1.5", "SHA1withRSA",
            "1.2.840.113549.1.1.4", "MD5withRSA", "1.2.840.113549.1.1.2", "MD2withRSA",
            "1.2.840.10040.4.3", "SHA1withDSA");
    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int MAX_CHAIN = 10;
    private static final String DIGEST_SUFFIX = "-DIGEST";

    private final TrustStore trust;
    private final Clock clock;
    private final BouncyCastleProvider provider = new BouncyCastleProvider();

    /** A verifier trusting {@code trust}, checking validity at {@code clock}'s time. */
    public BundleVerifier(TrustStore trust, Clock clock) {
        this.trust = Objects.requireNonNull(trust, "trust");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Verifies one bundle. Never throws for bad input: every problem becomes a {@link Reason}. */
    public Verdict verify(Path jar) {
        Set<Reason> reasons = new LinkedHashSet<>();
        byte[] bytes;
        try {
            long size = Files.size(jar);
            if (size > MAX_BUNDLE_BYTES) {
                reasons.add(new Reason(ReasonCode.UNREADABLE, jar + " is " + size + " bytes, more than a bundle may be ("
                        + MAX_BUNDLE_BYTES + ")"));
                return new Verdict("", Optional.empty(), Set.of(), List.copyOf(reasons));
            }
            bytes = Files.readAllBytes(jar);
        } catch (IOException | RuntimeException e) {
            reasons.add(new Reason(ReasonCode.UNREADABLE, "cannot read " + jar + ": " + e));
            return new Verdict("", Optional.empty(), Set.of(), List.copyOf(reasons));
        }
        String sha256 = X509.hex(sha256(bytes));
        ZipImage image = ZipImage.parse(bytes);
        image.problems().forEach(p -> reasons.add(new Reason(p.code(), p.message())));

        JdkView jdk = readWithJarFile(jar, reasons);
        SignatureView signature = readSignature(image, jdk, reasons);
        checkEntries(image, jdk, signature, reasons);

        Manifest manifest = jdk.manifest != null ? jdk.manifest : manifestOf(image);
        if (manifest == null) {
            reasons.add(new Reason(ReasonCode.NO_MANIFEST, "there is no " + SignatureFiles.MANIFEST));
        }
        Set<FilterClass> declared = declaredClasses(manifest, reasons);

        Optional<Signer> signer = Optional.empty();
        if (signature.leaf != null) {
            X509Certificate leaf = signature.leaf;
            checkTrust(signature.chain, reasons);
            Optional<Entitlement> entitlement = entitlement(leaf, reasons);
            entitlement.ifPresent(e -> checkEntitlement(e, leaf, declared, reasons));
            signer = Optional.of(new Signer(X509.subject(leaf), leaf.getIssuerX500Principal().getName(),
                    leaf.getSerialNumber(), leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(),
                    entitlement.map(Entitlement::role).orElse(null),
                    entitlement.map(Entitlement::classes).orElse(Set.of())));
        }
        return new Verdict(sha256, signer, declared, List.copyOf(reasons));
    }

    // ---------------------------------------------------------------------------------------------- JarFile's view

    /** What {@link JarFile} makes of the bundle. */
    private static final class JdkView {
        Manifest manifest;
        boolean opened;
        final Set<String> names = new HashSet<>();
        final Map<String, CodeSigner[]> signers = new LinkedHashMap<>();
        final Set<String> modified = new HashSet<>();
        boolean anySigned;
    }

    private static JdkView readWithJarFile(Path jar, Set<Reason> reasons) {
        JdkView view = new JdkView();
        try (JarFile file = new JarFile(jar.toFile(), true)) {
            view.opened = true;
            view.manifest = file.getManifest();
            for (JarEntry entry : Collections.list(file.entries())) {
                view.names.add(entry.getName());
                if (entry.isDirectory()) {
                    continue;
                }
                try (InputStream in = file.getInputStream(entry)) {
                    in.transferTo(OutputStream.nullOutputStream());
                } catch (SecurityException e) {
                    String message = String.valueOf(e.getMessage());
                    if (message.contains(entry.getName()) && !SignatureFiles.isSignatureFile(entry.getName())) {
                        view.modified.add(entry.getName());
                        reasons.add(new Reason(ReasonCode.MODIFIED_ENTRY, "entry '" + entry.getName()
                                + "' does not match its signed digest (modified after signing): " + message));
                    } else {
                        reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "the JDK rejects the signature while "
                                + "reading entry '" + entry.getName() + "': " + message));
                    }
                    continue;
                } catch (IOException e) {
                    reasons.add(new Reason(ReasonCode.ZIP_STRUCTURE, "the JDK cannot read entry '" + entry.getName()
                            + "': " + e.getMessage()));
                    continue;
                }
                CodeSigner[] signers = entry.getCodeSigners();
                view.signers.put(entry.getName(), signers);
                view.anySigned |= signers != null && signers.length > 0;
            }
        } catch (SecurityException e) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "the JDK rejects the signature: " + e.getMessage()));
        } catch (IOException | RuntimeException e) {
            reasons.add(new Reason(ReasonCode.ZIP_STRUCTURE, "the JDK cannot read " + jar.getFileName()
                    + " as a JAR: " + e));
        }
        return view;
    }

    // ------------------------------------------------------------------------------------------ the signature files

    /** The signature files as parsed here. */
    private static final class SignatureView {
        String signatureFile;
        Manifest signatureManifest;
        X509Certificate leaf;
        List<X509Certificate> chain = List.of();
        boolean present;
        boolean explained;
    }

    private SignatureView readSignature(ZipImage image, JdkView jdk, Set<Reason> reasons) {
        SignatureView view = new SignatureView();
        List<ZipImage.Entry> sfs = new ArrayList<>();
        List<ZipImage.Entry> blocks = new ArrayList<>();
        for (ZipImage.Entry entry : image.entries()) {
            if (SignatureFiles.isSignatureFileOnly(entry.name())) {
                sfs.add(entry);
            } else if (SignatureFiles.isBlock(entry.name())) {
                blocks.add(entry);
            }
        }
        Manifest manifest = jdk.manifest != null ? jdk.manifest : manifestOf(image);
        checkManifestDigests(manifest, reasons);
        if (sfs.isEmpty() && blocks.isEmpty()) {
            boolean digests = manifest != null && manifest.getEntries().values().stream().anyMatch(a -> !digestAlgorithms(a).isEmpty());
            reasons.add(new Reason(ReasonCode.UNSIGNED, "the bundle has no signature file (META-INF/*.SF) nor "
                    + "signature block" + (digests ? "; its manifest lists entry digests, so the signature files were "
                    + "removed" : "")));
            return view;
        }
        view.present = true;
        if (sfs.size() > 1 || blocks.size() > 1) {
            reasons.add(new Reason(ReasonCode.MULTIPLE_SIGNERS, "the bundle carries several signatures ("
                    + names(sfs) + ", " + names(blocks) + "); Weir accepts exactly one signer"));
            view.explained = true;
            return view;
        }
        if (sfs.isEmpty() || blocks.isEmpty()) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, sfs.isEmpty()
                    ? "signature block " + blocks.get(0).name() + " has no signature file (.SF)"
                    : "signature file " + sfs.get(0).name() + " has no signature block (.EC, .RSA or .DSA)"));
            view.explained = true;
            return view;
        }
        ZipImage.Entry sf = sfs.get(0);
        ZipImage.Entry block = blocks.get(0);
        view.signatureFile = sf.name();
        if (!SignatureFiles.baseName(sf.name()).equals(SignatureFiles.baseName(block.name()))) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "signature file " + sf.name()
                    + " and signature block " + block.name() + " do not belong together"));
            view.explained = true;
            return view;
        }
        byte[] sfBytes;
        byte[] blockBytes;
        try {
            sfBytes = image.content(sf);
            blockBytes = image.content(block);
            view.signatureManifest = new Manifest(new ByteArrayInputStream(sfBytes));
        } catch (DataFormatException | IOException e) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "cannot read " + sf.name() + " or " + block.name()
                    + ": " + e.getMessage()));
            view.explained = true;
            return view;
        }
        view.explained |= checkSignatureFileDigests(sf.name(), view.signatureManifest, reasons);
        view.explained |= readBlock(block.name(), sfBytes, blockBytes, view, reasons);
        return view;
    }

    /** Checks the CMS block; returns whether it recorded a reason. */
    private boolean readBlock(String name, byte[] sfBytes, byte[] blockBytes, SignatureView view, Set<Reason> reasons) {
        try {
            CMSSignedData data = new CMSSignedData(new CMSProcessableByteArray(sfBytes), blockBytes);
            List<SignerInformation> signerInfos = new ArrayList<>(data.getSignerInfos().getSigners());
            if (signerInfos.size() != 1) {
                reasons.add(signerInfos.isEmpty()
                        ? new Reason(ReasonCode.BAD_SIGNATURE, "signature block " + name + " holds no signer")
                        : new Reason(ReasonCode.MULTIPLE_SIGNERS, "signature block " + name + " holds "
                                + signerInfos.size() + " signers; Weir accepts exactly one"));
                return true;
            }
            SignerInformation info = signerInfos.get(0);
            boolean recorded = false;
            String digest = STRONG_DIGEST_OIDS.get(info.getDigestAlgOID());
            if (digest == null) {
                reasons.add(new Reason(ReasonCode.WEAK_DIGEST, "signature block " + name + " uses digest algorithm "
                        + WEAK_DIGEST_OIDS.getOrDefault(info.getDigestAlgOID(), info.getDigestAlgOID()) + "; only SHA-256, SHA-384 and SHA-512 are accepted"));
                recorded = true;
            }
            String weakSignature = WEAK_SIGNATURE_OIDS.get(info.getEncryptionAlgOID());
            if (weakSignature != null) {
                reasons.add(new Reason(ReasonCode.WEAK_DIGEST, "signature block " + name + " is signed with "
                        + weakSignature));
                recorded = true;
            }
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = data.getCertificates().getMatches(info.getSID());
            if (matches.isEmpty()) {
                reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "signature block " + name
                        + " does not include the signer's certificate"));
                return true;
            }
            view.leaf = X509.certificate(matches.iterator().next().getEncoded());
            view.chain = List.of(view.leaf);
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> all = data.getCertificates().getMatches(null);
            List<X509Certificate> others = new ArrayList<>();
            for (X509CertificateHolder holder : all) {
                others.add(X509.certificate(holder.getEncoded()));
            }
            view.chain = chain(view.leaf, others);
            // Verified with the bare key: the validity of the certificate is judged at the clock's time elsewhere.
            if (!info.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(provider)
                    .build(view.leaf.getPublicKey()))) {
                reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "signature block " + name + " does not verify with "
                        + "the key of " + X509.subject(view.leaf)));
                recorded = true;
            }
            return recorded;
        } catch (CMSException | OperatorCreationException | CertificateException | IOException
                 | RuntimeException e) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "signature block " + name + " does not verify: "
                    + e.getMessage()));
            return true;
        }
    }

    /** The leaf then its issuers among {@code others}, stopping before a self-signed certificate (roots come from the trust store). */
    private static List<X509Certificate> chain(X509Certificate leaf, List<X509Certificate> others) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        X509Certificate current = leaf;
        while (chain.size() < MAX_CHAIN && !X509.selfSigned(current)) {
            X509Certificate issuer = null;
            for (X509Certificate candidate : others) {
                if (!chain.contains(candidate) && !X509.selfSigned(candidate)
                        && candidate.getSubjectX500Principal().equals(current.getIssuerX500Principal())
                        && verifies(current, candidate)) {
                    issuer = candidate;
                    break;
                }
            }
            if (issuer == null) {
                break;
            }
            chain.add(issuer);
            current = issuer;
        }
        return List.copyOf(chain);
    }

    private static boolean verifies(X509Certificate certificate, X509Certificate issuer) {
        try {
            certificate.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void checkManifestDigests(Manifest manifest, Set<Reason> reasons) {
        if (manifest == null) {
            return;
        }
        Set<String> weak = new TreeSet<>();
        String example = null;
        for (Map.Entry<String, Attributes> section : manifest.getEntries().entrySet()) {
            for (String algorithm : digestAlgorithms(section.getValue())) {
                if (!STRONG_DIGESTS.contains(algorithm)) {
                    weak.add(algorithm);
                    example = example == null ? section.getKey() : example;
                }
            }
        }
        if (!weak.isEmpty()) {
            reasons.add(new Reason(ReasonCode.WEAK_DIGEST, SignatureFiles.MANIFEST + " digests entries with " + weak
                    + " (e.g. '" + example + "'); only SHA-256, SHA-384 and SHA-512 are accepted"));
        }
    }

    /** Checks the digests named in the .SF; returns whether it recorded a reason. */
    private static boolean checkSignatureFileDigests(String name, Manifest sf, Set<Reason> reasons) {
        Set<String> weak = new TreeSet<>();
        Set<String> manifestDigests = new TreeSet<>();
        for (Object key : sf.getMainAttributes().keySet()) {
            String attribute = key.toString().toUpperCase(Locale.ROOT);
            if (attribute.endsWith("-DIGEST-MANIFEST") || attribute.endsWith("-DIGEST-MANIFEST-MAIN-ATTRIBUTES")) {
                String algorithm = attribute.substring(0, attribute.indexOf(DIGEST_SUFFIX));
                manifestDigests.add(algorithm);
                if (!STRONG_DIGESTS.contains(algorithm)) {
                    weak.add(algorithm);
                }
            }
        }
        for (Attributes section : sf.getEntries().values()) {
            for (String algorithm : digestAlgorithms(section)) {
                if (!STRONG_DIGESTS.contains(algorithm)) {
                    weak.add(algorithm);
                }
            }
        }
        if (!weak.isEmpty()) {
            reasons.add(new Reason(ReasonCode.WEAK_DIGEST, name + " uses digest algorithm(s) " + weak
                    + "; only SHA-256, SHA-384 and SHA-512 are accepted"));
            return true;
        }
        if (manifestDigests.isEmpty() && sf.getEntries().isEmpty()) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, name + " holds no digest"));
            return true;
        }
        return false;
    }

    /** The algorithms of the {@code <alg>-Digest} attributes of a section, upper case. */
    private static Set<String> digestAlgorithms(Attributes attributes) {
        Set<String> algorithms = new TreeSet<>();
        for (Object key : attributes.keySet()) {
            String attribute = key.toString().toUpperCase(Locale.ROOT);
            if (attribute.endsWith(DIGEST_SUFFIX)) {
                algorithms.add(attribute.substring(0, attribute.length() - DIGEST_SUFFIX.length()));
            }
        }
        return algorithms;
    }

    // ------------------------------------------------------------------------------------------------- the entries

    private static void checkEntries(ZipImage image, JdkView jdk, SignatureView signature, Set<Reason> reasons) {
        if (!signature.present) {
            return;
        }
        if (jdk.opened && !jdk.anySigned && jdk.modified.isEmpty() && !signature.explained
                && reasons.stream().noneMatch(r -> r.code() == ReasonCode.BAD_SIGNATURE)) {
            reasons.add(new Reason(ReasonCode.BAD_SIGNATURE, "the JDK finds no entry signed by "
                    + (signature.signatureFile == null ? "the signature" : signature.signatureFile)
                    + ": the signature file does not match the manifest"));
        }
        Manifest manifest = jdk.manifest != null ? jdk.manifest : manifestOf(image);
        if (jdk.anySigned) {
            for (Map.Entry<String, CodeSigner[]> entry : jdk.signers.entrySet()) {
                String name = entry.getKey();
                if (SignatureFiles.isSignatureFile(name) || (entry.getValue() != null && entry.getValue().length > 0)) {
                    continue;
                }
                Attributes section = manifest == null ? null : manifest.getAttributes(name);
                boolean listed = section != null && !digestAlgorithms(section).isEmpty();
                boolean inSf = signature.signatureManifest != null
                        && signature.signatureManifest.getAttributes(name) != null;
                reasons.add(new Reason(ReasonCode.UNSIGNED_ENTRY, "entry '" + name + "' is not signed: "
                        + (!listed ? "the signed manifest does not list it (added after signing)"
                        : !inSf ? "the manifest lists it but " + signature.signatureFile + " does not sign its section"
                        : "its manifest section does not match " + signature.signatureFile)));
            }
            Set<String> distinct = new HashSet<>();
            jdk.signers.values().stream().filter(Objects::nonNull).forEach(signers -> {
                for (CodeSigner signer : signers) {
                    distinct.add(signer.getSignerCertPath().getCertificates().get(0).toString());
                }
            });
            if (distinct.size() > 1 && reasons.stream().noneMatch(r -> r.code() == ReasonCode.MULTIPLE_SIGNERS)) {
                reasons.add(new Reason(ReasonCode.MULTIPLE_SIGNERS, "entries are signed by " + distinct.size()
                        + " different signers; Weir accepts exactly one"));
            }
        }
        if (manifest != null) {
            Set<String> present = new HashSet<>(jdk.opened ? jdk.names : Set.of());
            image.entries().forEach(e -> present.add(e.name()));
            for (Map.Entry<String, Attributes> section : manifest.getEntries().entrySet()) {
                if (!digestAlgorithms(section.getValue()).isEmpty() && !present.contains(section.getKey())) {
                    reasons.add(new Reason(ReasonCode.MISSING_ENTRY, "entry '" + section.getKey()
                            + "' is named in the signed manifest but absent (removed after signing)"));
                }
            }
        }
    }

    private static Manifest manifestOf(ZipImage image) {
        for (ZipImage.Entry entry : image.entries()) {
            if (entry.name().equals(SignatureFiles.MANIFEST) && entry.readable()) {
                try {
                    return new Manifest(new ByteArrayInputStream(image.content(entry)));
                } catch (IOException | DataFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------------- the chain

    private void checkTrust(List<X509Certificate> path, Set<Reason> reasons) {
        X509Certificate leaf = path.get(0);
        Instant now = clock.instant();
        boolean allValid = true;
        for (X509Certificate certificate : path) {
            allValid &= checkValidity(certificate, now, "certificate", reasons);
        }
        checkCodeSigning(leaf, reasons);
        if (trust.roots().isEmpty()) {
            reasons.add(new Reason(ReasonCode.UNTRUSTED, "the trust store holds no root, so the signer "
                    + X509.subject(leaf) + " cannot be trusted"));
            return;
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        trust.roots().forEach(root -> anchors.add(new TrustAnchor(root, null)));
        Instant validationTime = allValid ? now : withinValidity(path).orElse(now);
        X509Certificate anchor;
        try {
            CertPath certPath = X509.factory().generateCertPath(path);
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(validationTime));
            PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                    .validate(certPath, parameters);
            anchor = result.getTrustAnchor().getTrustedCert();
        } catch (CertPathValidatorException e) {
            boolean validityOnly = e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                    || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID;
            if (!(validityOnly && !allValid)) {
                reasons.add(new Reason(ReasonCode.UNTRUSTED, "the signer " + X509.subject(leaf) + " (issuer "
                        + leaf.getIssuerX500Principal().getName() + ") does not chain to a trusted root: "
                        + e.getMessage()));
            }
            return;
        } catch (GeneralSecurityException | RuntimeException e) {
            reasons.add(new Reason(ReasonCode.UNTRUSTED, "cannot validate the chain of " + X509.subject(leaf)
                    + ": " + e.getMessage()));
            return;
        }
        checkValidity(anchor, now, "trusted root", reasons);
        List<X509Certificate> full = new ArrayList<>(path);
        full.add(anchor);
        for (int i = 0; i < path.size(); i++) {
            checkRevocation(full.get(i), full.get(i + 1), reasons);
        }
    }

    /** A time within the validity of every certificate of the path, if there is one. */
    private static Optional<Instant> withinValidity(List<X509Certificate> path) {
        Instant latestStart = Instant.MIN;
        Instant earliestEnd = Instant.MAX;
        for (X509Certificate certificate : path) {
            Instant start = certificate.getNotBefore().toInstant();
            Instant end = certificate.getNotAfter().toInstant();
            latestStart = start.isAfter(latestStart) ? start : latestStart;
            earliestEnd = end.isBefore(earliestEnd) ? end : earliestEnd;
        }
        return latestStart.isAfter(earliestEnd) ? Optional.empty() : Optional.of(latestStart);
    }

    private static boolean checkValidity(X509Certificate certificate, Instant now, String what, Set<Reason> reasons) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Instant notAfter = certificate.getNotAfter().toInstant();
        if (now.isAfter(notAfter)) {
            reasons.add(new Reason(ReasonCode.EXPIRED, what + " " + X509.subject(certificate) + " (serial "
                    + X509.hex(certificate.getSerialNumber()) + ") expired at " + notAfter));
            return false;
        }
        if (now.isBefore(notBefore)) {
            reasons.add(new Reason(ReasonCode.NOT_YET_VALID, what + " " + X509.subject(certificate) + " (serial "
                    + X509.hex(certificate.getSerialNumber()) + ") is not valid before " + notBefore));
            return false;
        }
        return true;
    }

    private static void checkCodeSigning(X509Certificate leaf, Set<Reason> reasons) {
        boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage != null && !(keyUsage.length > DIGITAL_SIGNATURE && keyUsage[DIGITAL_SIGNATURE])) {
            reasons.add(new Reason(ReasonCode.UNTRUSTED, "certificate " + X509.subject(leaf)
                    + " does not allow digital signatures (key usage)"));
        }
        try {
            List<String> extended = leaf.getExtendedKeyUsage();
            if (extended != null && !extended.contains(CODE_SIGNING) && !extended.contains(ANY_EXTENDED_KEY_USAGE)) {
                reasons.add(new Reason(ReasonCode.UNTRUSTED, "certificate " + X509.subject(leaf)
                        + " is not for code signing (extended key usage " + extended + ")"));
            }
        } catch (CertificateException e) {
            reasons.add(new Reason(ReasonCode.UNTRUSTED, "certificate " + X509.subject(leaf)
                    + " has a malformed extended key usage: " + e.getMessage()));
        }
    }

    private void checkRevocation(X509Certificate certificate, X509Certificate issuer, Set<Reason> reasons) {
        String subject = X509.subject(certificate);
        BigInteger serial = certificate.getSerialNumber();
        boolean found = false;
        for (X509CRL crl : trust.crls()) {
            if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                continue;
            }
            try {
                crl.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException | RuntimeException e) {
                continue;
            }
            found = true;
            X509CRLEntry entry = crl.getRevokedCertificate(serial);
            if (entry != null) {
                reasons.add(new Reason(ReasonCode.REVOKED, "certificate " + subject + " (serial " + X509.hex(serial)
                        + ") was revoked on " + entry.getRevocationDate().toInstant()
                        + (entry.getRevocationReason() == null ? "" : " (" + entry.getRevocationReason() + ")")
                        + " by " + X509.subject(issuer)));
                return;
            }
        }
        if (!found) {
            reasons.add(new Reason(ReasonCode.REVOCATION_UNKNOWN, "the trust store holds no CRL signed by "
                    + X509.subject(issuer) + ", so the revocation of " + subject + " cannot be checked"));
        }
    }

    // -------------------------------------------------------------------------------------------- the entitlements

    private static Optional<Entitlement> entitlement(X509Certificate leaf, Set<Reason> reasons) {
        try {
            Optional<Entitlement> entitlement = Entitlement.of(leaf);
            if (entitlement.isEmpty()) {
                reasons.add(new Reason(ReasonCode.NO_ENTITLEMENT, "the signing certificate " + X509.subject(leaf)
                        + " carries no Weir entitlement extension (" + Entitlement.OID + ")"));
            }
            return entitlement;
        } catch (IllegalArgumentException e) {
            reasons.add(new Reason(ReasonCode.NO_ENTITLEMENT, e.getMessage()));
            return Optional.empty();
        }
    }

    private static Set<FilterClass> declaredClasses(Manifest manifest, Set<Reason> reasons) {
        String value = manifest == null ? null : manifest.getMainAttributes().getValue(FILTER_CLASSES_HEADER);
        if (value == null || value.isBlank()) {
            if (manifest != null) {
                reasons.add(new Reason(ReasonCode.NO_DECLARED_CLASSES, "the manifest has no " + FILTER_CLASSES_HEADER
                        + " header (or it is empty): the bundle must declare its filter classes"));
            }
            return Set.of();
        }
        Set<FilterClass> declared = EnumSet.noneOf(FilterClass.class);
        for (String token : value.split(",", -1)) {
            String name = token.trim();
            try {
                declared.add(FilterClass.valueOf(name));
            } catch (IllegalArgumentException e) {
                reasons.add(new Reason(ReasonCode.UNKNOWN_CLASS, FILTER_CLASSES_HEADER + " names '" + name
                        + "', which is not a filter class (expected some of " + List.of(FilterClass.values()) + ")"));
            }
        }
        return declared;
    }

    private static void checkEntitlement(Entitlement entitlement, X509Certificate leaf, Set<FilterClass> declared,
                                         Set<Reason> reasons) {
        String subject = X509.subject(leaf);
        for (FilterClass filterClass : declared) {
            if (entitlement.role() == SignerRole.PARTNER && filterClass.vendorOnly()) {
                reasons.add(new Reason(ReasonCode.VENDOR_ONLY, "filter class " + filterClass
                        + " is vendor-only; partner " + subject + " may not ship it"
                        + (entitlement.classes().contains(filterClass) ? " (even though its certificate lists it)" : "")));
            } else if (!entitlement.classes().contains(filterClass)) {
                reasons.add(new Reason(ReasonCode.NOT_ENTITLED, "filter class " + filterClass + " is declared but "
                        + subject + " is entitled only to " + entitlement.classes()));
            }
        }
    }

    private static String names(List<ZipImage.Entry> entries) {
        return entries.stream().map(ZipImage.Entry::name).toList().toString();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
