package io.weir.trust;

import io.weir.filter.FilterClass;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A corpus of filter bundles, valid and hostile, built from one small bundle (a manifest with OSGi headers and
 * {@code Weir-Filter-Classes}, two class-like entries and a resource) by a vendor PKI created in a directory.
 * Reusable by other modules' tests through this module's test-jar: {@link #build(Case)} writes the bundle of a case,
 * {@link #trustStore()} is the trust the cases are meant for (the vendor root and its current CRL).
 */
public final class BundleCorpus {
    /** The bundle's symbolic name. */
    public static final String SYMBOLIC_NAME = "io.weir.sample.cache";
    /** A class entry. */
    public static final String CLASS_ENTRY = "io/weir/sample/cache/CacheFilter.class";
    /** A second class entry. */
    public static final String INNER_CLASS_ENTRY = "io/weir/sample/cache/CacheFilter$Slot.class";
    /** A resource entry. */
    public static final String RESOURCE_ENTRY = "io/weir/sample/cache/cache.properties";
    /** An entry added after signing, or hidden. */
    public static final String INJECTED_ENTRY = "io/weir/sample/cache/Injected.class";
    /** The classes the partner is entitled to. */
    public static final Set<FilterClass> PARTNER_CLASSES = EnumSet.of(FilterClass.CACHE, FilterClass.REPLICATION);
    /** The partner's name (its certificate's CN). */
    public static final String PARTNER = "Acme Storage";
    /** The password of the corpus PKI. */
    public static final char[] PASSWORD = "corpus-password".toCharArray();

    /** How jarsigner -verify -strict (with the vendor root in its keystore) relates to Weir's verdict. */
    public enum JarsignerView {
        /** jarsigner accepts exactly when Weir does. */
        AGREES,
        /** jarsigner accepts a bundle Weir refuses; the case's javadoc says why. */
        WEIR_STRICTER
    }

    /** The cases, each with the reason codes Weir must give and a text its messages must name. */
    public enum Case {
        /** A CACHE bundle signed by a partner entitled to CACHE. */
        VALID_PARTNER(Set.of(), "", JarsignerView.AGREES),
        /** An ENCRYPTION bundle signed by the vendor. */
        VALID_VENDOR_ENCRYPTION(Set.of(), "", JarsignerView.AGREES),
        /** Never signed. */
        UNSIGNED(Set.of(ReasonCode.UNSIGNED), "META-INF/", JarsignerView.AGREES),
        /** An entry listed with a digest in the manifest but left out of the .SF (manifest edited after signing). */
        ONE_ENTRY_UNSIGNED(Set.of(ReasonCode.UNSIGNED_ENTRY), INJECTED_ENTRY, JarsignerView.AGREES),
        /** A class changed after signing. */
        ENTRY_MODIFIED(Set.of(ReasonCode.MODIFIED_ENTRY), CLASS_ENTRY, JarsignerView.AGREES),
        /** A class added after signing, not in the manifest. */
        ENTRY_ADDED(Set.of(ReasonCode.UNSIGNED_ENTRY), INJECTED_ENTRY, JarsignerView.AGREES),
        /**
         * A signed class removed after signing. jarsigner only checks the entries present, so it accepts; Weir
         * compares the signed manifest with the entries.
         */
        ENTRY_REMOVED(Set.of(ReasonCode.MISSING_ENTRY), INNER_CLASS_ENTRY, JarsignerView.WEIR_STRICTER),
        /** The .SF and signature block removed, the manifest digests left. */
        SIGNATURE_STRIPPED(Set.of(ReasonCode.UNSIGNED), "META-INF/", JarsignerView.AGREES),
        /**
         * A second entry with a signed class's name and other content: a reader that keeps the last of the two names
         * would load unsigned code. The JDK reads the second copy and finds its digest wrong.
         */
        DUPLICATE_ENTRY(Set.of(ReasonCode.DUPLICATE_ENTRY, ReasonCode.MODIFIED_ENTRY), CLASS_ENTRY,
                JarsignerView.AGREES),
        /**
         * The local header of the resource names another entry. jarsigner reads the central directory only;
         * JarInputStream would see the other name.
         */
        LOCAL_HEADER_MISMATCH(Set.of(ReasonCode.ZIP_STRUCTURE), RESOURCE_ENTRY, JarsignerView.WEIR_STRICTER),
        /**
         * A complete entry (local header and data) between two entries but not in the central directory: invisible to
         * jarsigner, visible to JarInputStream.
         */
        DATA_HIDDEN_BETWEEN_ENTRIES(Set.of(ReasonCode.ZIP_STRUCTURE), INJECTED_ENTRY, JarsignerView.WEIR_STRICTER),
        /** Signed by a partner of another vendor's PKI. */
        UNTRUSTED_ROOT(Set.of(ReasonCode.UNTRUSTED), "Rogue Partner", JarsignerView.AGREES),
        /** Signed by a partner certificate that has expired. */
        EXPIRED(Set.of(ReasonCode.EXPIRED), "Expired Partner", JarsignerView.AGREES),
        /** Signed by a partner certificate not valid yet. */
        NOT_YET_VALID(Set.of(ReasonCode.NOT_YET_VALID), "Future Partner", JarsignerView.AGREES),
        /**
         * Signed by a partner certificate the vendor revoked. jarsigner knows nothing of the vendor's CRL (the
         * certificate names no distribution point and jarsigner does not check revocation by default).
         */
        REVOKED(Set.of(ReasonCode.REVOKED), "Revoked Partner", JarsignerView.WEIR_STRICTER),
        /** Signed with SHA-1 digests and SHA1withECDSA; the JDK treats SHA-1 signed JARs as unsigned. */
        WEAK_DIGEST(Set.of(ReasonCode.WEAK_DIGEST), "SHA-1", JarsignerView.AGREES),
        /** A partner signing a bundle declaring ENCRYPTION (vendor-only): entitlements are Weir's own. */
        PARTNER_ENCRYPTION(Set.of(ReasonCode.VENDOR_ONLY), "ENCRYPTION", JarsignerView.WEIR_STRICTER),
        /** A partner signing a bundle declaring QOS (vendor-only): entitlements are Weir's own. */
        PARTNER_QOS(Set.of(ReasonCode.VENDOR_ONLY), "QOS", JarsignerView.WEIR_STRICTER),
        /** A partner signing a bundle declaring INSPECTION, which its certificate does not list. */
        NOT_ENTITLED(Set.of(ReasonCode.NOT_ENTITLED), "INSPECTION", JarsignerView.WEIR_STRICTER),
        /**
         * Two valid signers (vendor and partner) over the same manifest. jarsigner accepts any number of signers;
         * Weir accepts exactly one, so a bundle has one entitlement.
         */
        TWO_SIGNERS(Set.of(ReasonCode.MULTIPLE_SIGNERS), "META-INF/PARTNER.SF", JarsignerView.WEIR_STRICTER);

        private final Set<ReasonCode> codes;
        private final String named;
        private final JarsignerView jarsigner;

        Case(Set<ReasonCode> codes, String named, JarsignerView jarsigner) {
            this.codes = codes;
            this.named = named;
            this.jarsigner = jarsigner;
        }

        /** The exact set of reason codes Weir gives; empty for an accepted bundle. */
        public Set<ReasonCode> codes() {
            return codes;
        }

        /** A text that a message of each expected reason names (entry, class or certificate). */
        public String named() {
            return named;
        }

        /** How jarsigner relates. */
        public JarsignerView jarsigner() {
            return jarsigner;
        }
    }

    private final Path dir;
    private final Pki pki;
    private final Pki rogue;
    private final SigningIdentity partner;
    private final SigningIdentity expired;
    private final SigningIdentity future;
    private final SigningIdentity revoked;
    private final SigningIdentity roguePartner;

    /** Creates the PKIs and identities under {@code dir} (which must be empty or absent). */
    public BundleCorpus(Path dir) throws IOException, GeneralSecurityException {
        this.dir = Files.createDirectories(dir);
        pki = Pki.init(dir.resolve("pki"), PASSWORD, "Weir Test Vendor", 30);
        rogue = Pki.init(dir.resolve("rogue-pki"), PASSWORD, "Rogue Vendor", 30);
        Instant now = Instant.now();
        partner = pki.issuePartner(PARTNER, PARTNER_CLASSES, 30);
        expired = pki.issuePartner("Expired Partner", PARTNER_CLASSES, now.minus(Duration.ofDays(20)),
                now.minus(Duration.ofDays(1)));
        future = pki.issuePartner("Future Partner", PARTNER_CLASSES, now.plus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(20)));
        revoked = pki.issuePartner("Revoked Partner", PARTNER_CLASSES, 30);
        pki.revoke(revoked.certificate().getSerialNumber(), "keyCompromise");
        roguePartner = rogue.issuePartner("Rogue Partner", PARTNER_CLASSES, 30);
    }

    /** The vendor PKI. */
    public Pki pki() {
        return pki;
    }

    /** The valid partner identity (entitled to {@link #PARTNER_CLASSES}). */
    public SigningIdentity partner() {
        return partner;
    }

    /** The trust the cases are meant for: the vendor root and its current CRL. */
    public TrustStore trustStore() {
        return TrustStore.of(List.of(pki.root()), List.of(pki.crl()));
    }

    /** Writes the unsigned sample bundle declaring {@code filterClasses} (null: no header). */
    public static Path unsignedBundle(Path out, String filterClasses) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", SYMBOLIC_NAME);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Bundle-Name", "Sample cache filter");
        main.putValue("Import-Package", "io.weir.filter;version=\"[1.0,2)\"");
        if (filterClasses != null) {
            main.putValue(BundleVerifier.FILTER_CLASSES_HEADER, filterClasses);
        }
        try (OutputStream file = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(file, manifest)) {
            put(jar, "io/", null);
            put(jar, "io/weir/", null);
            put(jar, "io/weir/sample/", null);
            put(jar, "io/weir/sample/cache/", null);
            put(jar, CLASS_ENTRY, classLike("CacheFilter"));
            put(jar, INNER_CLASS_ENTRY, classLike("CacheFilter$Slot"));
            put(jar, RESOURCE_ENTRY, "capacity=64m\nwrite-back=false\n".getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Bytes that start like a class file; the verifier never loads them. */
    public static byte[] classLike(String name) {
        byte[] text = ("class " + name + " of " + SYMBOLIC_NAME).getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[text.length + 4];
        data[0] = (byte) 0xCA;
        data[1] = (byte) 0xFE;
        data[2] = (byte) 0xBA;
        data[3] = (byte) 0xBE;
        System.arraycopy(text, 0, data, 4, text.length);
        return data;
    }

    private static void put(JarOutputStream jar, String name, byte[] data) throws IOException {
        jar.putNextEntry(new JarEntry(name));
        if (data != null) {
            jar.write(data);
        }
        jar.closeEntry();
    }

    /** Writes the bundle of {@code c} and returns its path. */
    public Path build(Case c) throws IOException, GeneralSecurityException {
        Path out = dir.resolve(c.name().toLowerCase(java.util.Locale.ROOT) + ".jar");
        switch (c) {
            case VALID_PARTNER -> signed("CACHE", partner, out);
            case VALID_VENDOR_ENCRYPTION -> signed("ENCRYPTION", pki.vendor(), out);
            case UNSIGNED -> unsignedBundle(out, "CACHE");
            case ONE_ENTRY_UNSIGNED -> {
                RawZip zip = RawZip.read(signed("CACHE", partner, out));
                byte[] injected = classLike("Injected");
                String section = "Name: " + INJECTED_ENTRY + "\r\nSHA-256-Digest: "
                        + Base64.getEncoder().encodeToString(sha256(injected)) + "\r\n\r\n";
                int manifest = zip.indexOf(SignatureFiles.MANIFEST);
                zip.items().set(manifest, zip.items().get(manifest).withData(
                        concat(zip.data(SignatureFiles.MANIFEST), section.getBytes(StandardCharsets.UTF_8))));
                zip.add(RawZip.Item.of(INJECTED_ENTRY, injected)).write(out);
            }
            case ENTRY_MODIFIED -> {
                RawZip zip = RawZip.read(signed("CACHE", partner, out));
                int index = zip.indexOf(CLASS_ENTRY);
                zip.items().set(index, zip.items().get(index).withData(classLike("CacheFilter patched")));
                zip.write(out);
            }
            case ENTRY_ADDED -> RawZip.read(signed("CACHE", partner, out))
                    .add(RawZip.Item.of(INJECTED_ENTRY, classLike("Injected"))).write(out);
            case ENTRY_REMOVED -> {
                RawZip zip = RawZip.read(signed("CACHE", partner, out));
                zip.items().remove(zip.indexOf(INNER_CLASS_ENTRY));
                zip.write(out);
            }
            case SIGNATURE_STRIPPED -> {
                RawZip zip = RawZip.read(signed("CACHE", partner, out));
                zip.items().removeIf(i -> SignatureFiles.isSignatureFileOnly(i.name()) || SignatureFiles.isBlock(i.name()));
                zip.write(out);
            }
            case DUPLICATE_ENTRY -> RawZip.read(signed("CACHE", partner, out))
                    .add(RawZip.Item.of(CLASS_ENTRY, classLike("CacheFilter evil twin"))).write(out);
            case LOCAL_HEADER_MISMATCH -> {
                RawZip zip = RawZip.read(signed("CACHE", partner, out));
                int index = zip.indexOf(RESOURCE_ENTRY);
                zip.items().set(index, zip.items().get(index)
                        .withLocalName(RESOURCE_ENTRY.replace("cache.properties", "evil.properties")));
                zip.write(out);
            }
            case DATA_HIDDEN_BETWEEN_ENTRIES -> {
                RawZip zip = RawZip.read(signed("CACHE", partner, out));
                zip.items().add(zip.indexOf(RESOURCE_ENTRY),
                        RawZip.Item.of(INJECTED_ENTRY, classLike("Injected")).hidden());
                zip.write(out);
            }
            case UNTRUSTED_ROOT -> signed("CACHE", roguePartner, out);
            case EXPIRED -> signed("CACHE", expired, out);
            case NOT_YET_VALID -> signed("CACHE", future, out);
            case REVOKED -> signed("CACHE", revoked, out);
            case WEAK_DIGEST -> {
                Path unsigned = unsignedBundle(dir.resolve(c.name() + "-unsigned.jar"), "CACHE");
                BundleSigner.sign(unsigned, out, partner, "SHA-1");
            }
            case PARTNER_ENCRYPTION -> signed("ENCRYPTION", partner, out);
            case PARTNER_QOS -> signed("QOS", partner, out);
            case NOT_ENTITLED -> signed("INSPECTION", partner, out);
            case TWO_SIGNERS -> {
                Path unsigned = unsignedBundle(dir.resolve(c.name() + "-unsigned.jar"), "CACHE");
                Path byPartner = dir.resolve(c.name() + "-partner.jar");
                BundleSigner.sign(unsigned, byPartner, partner, "SHA-256", "PARTNER");
                BundleSigner.sign(unsigned, out, pki.vendor());
                RawZip zip = RawZip.read(out);
                RawZip other = RawZip.read(byPartner);
                if (!java.util.Arrays.equals(zip.data(SignatureFiles.MANIFEST), other.data(SignatureFiles.MANIFEST))) {
                    throw new IllegalStateException("signing is expected to write the same manifest for both signers");
                }
                int at = zip.indexOf(SignatureFiles.MANIFEST) + 1;
                zip.items().add(at, other.items().get(other.indexOf("META-INF/PARTNER.SF")));
                zip.items().add(at + 1, other.items().get(other.indexOf("META-INF/PARTNER.EC")));
                zip.write(out);
            }
            default -> throw new IllegalArgumentException("no builder for " + c);
        }
        return out;
    }

    private Path signed(String filterClasses, SigningIdentity signer, Path out)
            throws IOException, GeneralSecurityException {
        Path unsigned = unsignedBundle(dir.resolve(out.getFileName().toString().replace(".jar", "-unsigned.jar")),
                filterClasses);
        BundleSigner.sign(unsigned, out, signer);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static byte[] sha256(byte[] data) throws GeneralSecurityException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
