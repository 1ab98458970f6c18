package io.weir.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Signs a bundle as a standard signed JAR that {@code jarsigner -verify} and {@link java.util.jar.JarFile} accept:
 * a manifest with a digest of every entry (directories and signature files excepted), a signature file
 * {@code META-INF/<name>.SF} with the digests of the whole manifest, of its main attributes and of each entry's raw
 * manifest section, and a detached CMS signature of the {@code .SF} ({@code META-INF/<name>.EC}, {@code .RSA} or
 * {@code .DSA} after the key) that includes the signer's certificate chain. The manifest, signature file and signature
 * block are written first, in that order, as jarsigner does; other entries keep their order, method and time, and the
 * input manifest's attributes are kept.
 *
 * <p>The input must be a well-formed, unsigned JAR (Weir accepts exactly one signer): a ZIP with structural problems
 * or an existing signature is refused. {@code in} may be the same file as {@code out}: the input is read fully first
 * and the output replaces the target atomically.
 */
public final class BundleSigner {
    /** The default base name of the signature files: {@code META-INF/WEIR.SF} and {@code META-INF/WEIR.EC}. */
    public static final String DEFAULT_SIGNATURE_NAME = "WEIR";
    /** The default digest algorithm. */
    public static final String DEFAULT_DIGEST = "SHA-256";
    /** Digest algorithms this signer can use; SHA-1 only exists to build refused bundles in tests. */
    public static final Set<String> DIGESTS = Set.of("SHA-256", "SHA-384", "SHA-512", "SHA-1");

    private static final Pattern SIGNATURE_NAME = Pattern.compile("[A-Z0-9_-]{1,8}");
    private static final String MANIFEST = "META-INF/MANIFEST.MF";
    private static final String META_INF = "META-INF/";

    private BundleSigner() {
    }

    /** Signs with SHA-256 digests under the signature name {@value #DEFAULT_SIGNATURE_NAME}. */
    public static void sign(Path in, Path out, SigningIdentity signer) throws IOException, GeneralSecurityException {
        sign(in, out, signer, DEFAULT_DIGEST);
    }

    /** Signs with the given digest algorithm (one of {@link #DIGESTS}) under the name {@value #DEFAULT_SIGNATURE_NAME}. */
    public static void sign(Path in, Path out, SigningIdentity signer, String digestAlgorithm)
            throws IOException, GeneralSecurityException {
        sign(in, out, signer, digestAlgorithm, DEFAULT_SIGNATURE_NAME);
    }

    /**
     * Signs with the given digest algorithm (one of {@link #DIGESTS}) under the given signature name (1 to 8 of
     * {@code A-Z 0-9 _ -}, as jarsigner requires).
     *
     * @throws IOException when {@code in} cannot be read, is not a well-formed ZIP, or is already signed
     * @throws GeneralSecurityException when the key cannot sign
     */
    public static void sign(Path in, Path out, SigningIdentity signer, String digestAlgorithm, String signatureName)
            throws IOException, GeneralSecurityException {
        sign(in, out, signer, digestAlgorithm, signatureName, false);
    }

    /**
     * Replaces the signature of a signed bundle (or signs an unsigned one) with SHA-256 digests: the old signature
     * files are dropped and every digest is computed afresh, e.g. to re-sign with a renewed certificate.
     */
    public static void resign(Path in, Path out, SigningIdentity signer) throws IOException, GeneralSecurityException {
        sign(in, out, signer, DEFAULT_DIGEST, DEFAULT_SIGNATURE_NAME, true);
    }

    private static void sign(Path in, Path out, SigningIdentity signer, String digestAlgorithm, String signatureName,
                             boolean replace) throws IOException, GeneralSecurityException {
        String digest = digestAlgorithm.toUpperCase(Locale.ROOT);
        if (!DIGESTS.contains(digest)) {
            throw new NoSuchAlgorithmException("digest algorithm '" + digestAlgorithm + "' is not one of " + DIGESTS);
        }
        if (!SIGNATURE_NAME.matcher(signatureName).matches()) {
            throw new IllegalArgumentException("signature name '" + signatureName
                    + "' must be 1 to 8 characters of A-Z, 0-9, _ and -");
        }
        byte[] input = Files.readAllBytes(in);
        ZipImage image = ZipImage.parse(input);
        if (!image.problems().isEmpty()) {
            throw new IOException("cannot sign " + in + ": " + image.problems().stream()
                    .map(ZipImage.Problem::message).collect(Collectors.joining("; ")));
        }
        List<ZipImage.Entry> signed = new ArrayList<>();
        ZipImage.Entry manifestEntry = null;
        ZipImage.Entry metaInf = null;
        for (ZipImage.Entry entry : image.entries()) {
            if (entry.name().equals(MANIFEST)) {
                manifestEntry = entry;
            } else if (entry.name().equals(META_INF)) {
                metaInf = entry;
            } else if (SignatureFiles.isSignatureFile(entry.name())) {
                if (replace) {
                    continue; // the old signature goes; the manifest's digests are recomputed below
                }
                throw new IOException(in + " is already signed (" + entry.name()
                        + "); a Weir bundle carries exactly one signature, so sign the unsigned bundle");
            } else {
                signed.add(entry);
            }
        }
        Map<ZipImage.Entry, byte[]> contents = new LinkedHashMap<>();
        try {
            for (ZipImage.Entry entry : signed) {
                contents.put(entry, image.content(entry));
            }
            Manifest original = manifestEntry == null ? new Manifest()
                    : new Manifest(new ByteArrayInputStream(image.content(manifestEntry)));
            ManifestText manifest = manifest(original, contents, digest);
            byte[] manifestBytes = manifest.bytes();
            byte[] signatureFile = signatureFile(manifest, digest);
            X509Certificate leaf = signer.certificate();
            String keyAlgorithm = SignatureFiles.blockExtension(leaf.getPublicKey().getAlgorithm());
            byte[] block = signatureBlock(signatureFile, signer, digest, keyAlgorithm);
            LocalDateTime signingTime = manifestEntry != null ? time(manifestEntry) : LocalDateTime.now();
            Path target = out.toAbsolutePath();
            Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                try (OutputStream file = Files.newOutputStream(temporary);
                     ZipOutputStream zip = new ZipOutputStream(file)) {
                    if (metaInf != null) {
                        put(zip, META_INF, new byte[0], ZipImage.METHOD_STORED, time(metaInf));
                    }
                    put(zip, MANIFEST, manifestBytes, ZipImage.METHOD_DEFLATED, signingTime);
                    put(zip, META_INF + signatureName + ".SF", signatureFile, ZipImage.METHOD_DEFLATED, signingTime);
                    put(zip, META_INF + signatureName + "." + keyAlgorithm, block, ZipImage.METHOD_DEFLATED,
                            signingTime);
                    for (Map.Entry<ZipImage.Entry, byte[]> entry : contents.entrySet()) {
                        put(zip, entry.getKey().name(), entry.getValue(), entry.getKey().method(),
                                time(entry.getKey()));
                    }
                }
                X509.move(temporary, target);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (DataFormatException e) {
            throw new IOException("cannot read " + in + ": " + e.getMessage(), e);
        }
    }

    /** The signed manifest: the original main attributes, then a section with a digest for each entry. */
    private static ManifestText manifest(Manifest original, Map<ZipImage.Entry, byte[]> contents, String digest)
            throws NoSuchAlgorithmException {
        Map<String, String> main = new LinkedHashMap<>();
        Attributes originalMain = original.getMainAttributes();
        String version = originalMain.getValue(Attributes.Name.MANIFEST_VERSION);
        main.put(Attributes.Name.MANIFEST_VERSION.toString(), version == null ? "1.0" : version);
        originalMain.forEach((key, value) -> {
            if (!key.equals(Attributes.Name.MANIFEST_VERSION)) {
                main.put(key.toString(), value.toString());
            }
        });
        ManifestText text = new ManifestText().main(main);
        MessageDigest md = MessageDigest.getInstance(digest);
        Map<String, Attributes> sections = new LinkedHashMap<>(original.getEntries());
        for (Map.Entry<ZipImage.Entry, byte[]> entry : contents.entrySet()) {
            if (entry.getKey().directory()) {
                continue;
            }
            String name = entry.getKey().name();
            Map<String, String> attributes = kept(sections.remove(name));
            attributes.put(digest + "-Digest", Base64.getEncoder().encodeToString(md.digest(entry.getValue())));
            text.section(name, attributes);
        }
        sections.forEach((name, attributes) -> text.section(name, kept(attributes)));
        return text;
    }

    /** An input section's attributes without any digest (they are recomputed). */
    private static Map<String, String> kept(Attributes attributes) {
        Map<String, String> kept = new LinkedHashMap<>();
        if (attributes != null) {
            attributes.forEach((key, value) -> {
                if (!key.toString().toUpperCase(Locale.ROOT).endsWith("-DIGEST")) {
                    kept.put(key.toString(), value.toString());
                }
            });
        }
        return kept;
    }

    /** The .SF: digests of the whole manifest, of its main section, and of each section, over the raw bytes. */
    private static byte[] signatureFile(ManifestText manifest, String digest) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance(digest);
        Base64.Encoder base64 = Base64.getEncoder();
        Map<String, String> main = new LinkedHashMap<>();
        main.put("Signature-Version", "1.0");
        main.put("Created-By", "Weir (io.weir.trust)");
        main.put(digest + "-Digest-Manifest", base64.encodeToString(md.digest(manifest.bytes())));
        main.put(digest + "-Digest-Manifest-Main-Attributes",
                base64.encodeToString(md.digest(manifest.sections().get(0).bytes())));
        ManifestText sf = new ManifestText().main(main);
        for (ManifestText.Section section : manifest.sections().subList(1, manifest.sections().size())) {
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put(digest + "-Digest", base64.encodeToString(md.digest(section.bytes())));
            sf.section(section.name(), attributes);
        }
        return sf.bytes();
    }

    /** A detached CMS SignedData over the .SF, with the signer's chain. */
    private static byte[] signatureBlock(byte[] signatureFile, SigningIdentity signer, String digest,
                                         String keyAlgorithm) throws GeneralSecurityException, IOException {
        BouncyCastleProvider provider = new BouncyCastleProvider();
        String algorithm = digest.replace("-", "") + "with" + SignatureFiles.signatureSuffix(keyAlgorithm);
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(algorithm).setProvider(provider)
                    .build(signer.privateKey());
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().setProvider(provider).build())
                    .build(contentSigner, signer.certificate()));
            generator.addCertificates(new JcaCertStore(signer.chain()));
            CMSSignedData data = generator.generate(new CMSProcessableByteArray(signatureFile), false);
            return data.getEncoded("DER");
        } catch (OperatorCreationException | CMSException e) {
            throw new GeneralSecurityException("cannot sign with " + algorithm + " as "
                    + X509.subject(signer.certificate()) + ": " + e.getMessage(), e);
        }
    }

    private static void put(ZipOutputStream zip, String name, byte[] data, int method, LocalDateTime time)
            throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(time);
        if (method == ZipImage.METHOD_STORED) {
            CRC32 crc = new CRC32();
            crc.update(data);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(data.length);
            entry.setCompressedSize(data.length);
            entry.setCrc(crc.getValue());
        } else {
            entry.setMethod(ZipEntry.DEFLATED);
        }
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    /** The local time an entry's MS-DOS date and time field states (now, when it states none that is valid). */
    private static LocalDateTime time(ZipImage.Entry entry) {
        long dos = entry.dosTime();
        try {
            return LocalDateTime.of((int) ((dos >> 25) & 0x7F) + 1980, (int) ((dos >> 21) & 0x0F),
                    (int) ((dos >> 16) & 0x1F), (int) ((dos >> 11) & 0x1F), (int) ((dos >> 5) & 0x3F),
                    (int) ((dos << 1) & 0x3E));
        } catch (DateTimeException e) {
            return LocalDateTime.now();
        }
    }
}
