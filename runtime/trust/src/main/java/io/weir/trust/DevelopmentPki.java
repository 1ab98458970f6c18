package io.weir.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.stream.Stream;

import io.weir.filter.FilterClass;

/**
 * The development PKI the build signs the sample filters with, and whose root {@code weir run} trusts unless told
 * otherwise. Its keys come from a fixed seed, so every build on every machine has the same development root and
 * partner key (data directories survive rebuilds); that also makes them public knowledge: a production runtime
 * never trusts this root.
 *
 * <p>Layout: a {@link Pki} in the folder (password {@value #PASSWORD_TEXT}) plus {@value #PARTNER_FILE}, the
 * development partner's keystore, entitled to REPLICATION and CACHE.
 *
 * <p>As a program (used by the build): {@code sign DIR vendor|partner BUNDLE.jar} signs a bundle in place,
 * making the PKI first if needed; {@code export-root DIR OUT} writes {@value #ROOT_EXPORT} and
 * {@value #CRL_EXPORT} into {@code OUT}.
 */
public final class DevelopmentPki {
    static final String PASSWORD_TEXT = "development";
    /** The development partner's keystore file in the PKI folder. */
    public static final String PARTNER_FILE = "development-partner.p12";
    /** The names the development root and its CRL are exported under. */
    public static final String ROOT_EXPORT = "development-root.pem";
    public static final String CRL_EXPORT = "development-root.crl";
    private static final String SEED = "io.weir development PKI, seed 1: public, never for production";
    private static final int DAYS = 20 * 365;

    private DevelopmentPki() {
    }

    /** Open the development PKI in {@code dir}, making it first if the folder holds none. */
    public static Pki ensure(Path dir) throws IOException, GeneralSecurityException {
        char[] password = PASSWORD_TEXT.toCharArray();
        if (Files.isRegularFile(dir.resolve(Pki.KEYSTORE_FILE))) {
            return Pki.open(dir, password);
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, ".development-pki-");
        try {
            Pki pki = Pki.init(staging, password, "Weir Development", DAYS, seeded());
            pki.issuePartner("Weir Development Partner", EnumSet.of(FilterClass.REPLICATION, FilterClass.CACHE), DAYS)
                    .store(staging.resolve(PARTNER_FILE), password);
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            // another build made it meanwhile: use theirs
        } finally {
            deleteTree(staging);
        }
        return Pki.open(dir, password);
    }

    /** The development partner's signing identity. */
    public static SigningIdentity partner(Path dir) throws IOException, GeneralSecurityException {
        ensure(dir);
        return SigningIdentity.load(dir.resolve(PARTNER_FILE), PASSWORD_TEXT.toCharArray());
    }

    /**
     * A verifier that trusts the development root alone (and its CRL), as {@code weir run} does by default: what a
     * sample's build checks its signed bundle with.
     */
    public static BundleVerifier verifier(Path dir) throws IOException, GeneralSecurityException {
        Pki pki = ensure(dir);
        return new BundleVerifier(TrustStore.of(java.util.List.of(pki.root()), java.util.List.of(pki.crl())),
                java.time.Clock.systemUTC());
    }

    /**
     * The development verifier's verdict on a copy of {@code jar} re-signed by the development partner: what a partner
     * shipping that bundle would get (for a vendor-only class, VENDOR_ONLY). The copy is made in a temporary file and
     * deleted.
     */
    public static Verdict verifyAsPartner(Path dir, Path jar) throws IOException, GeneralSecurityException {
        Path copy = Files.createTempFile(jar.toAbsolutePath().getParent(), "partner-copy-", ".jar");
        try {
            BundleSigner.resign(jar, copy, partner(dir));
            return verifier(dir).verify(copy);
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /** A deterministic generator: the same seed gives the same keys and serials on every JVM. */
    private static SecureRandom seeded() throws NoSuchAlgorithmException {
        SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(SEED.getBytes(StandardCharsets.UTF_8)); // before any output: replaces self-seeding
        return random;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The build's entry point; see the class description. */
    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("sign")) {
            Path dir = Path.of(args[1]);
            SigningIdentity signer = switch (args[2]) {
                case "vendor" -> ensure(dir).vendor();
                case "partner" -> partner(dir);
                default -> throw new IllegalArgumentException("signer must be vendor or partner, not " + args[2]);
            };
            Path jar = Path.of(args[3]);
            BundleSigner.sign(jar, jar, signer);
            System.out.println("signed " + jar.getFileName() + " with the development " + args[2] + " certificate");
        } else if (args.length == 3 && args[0].equals("export-root")) {
            Pki pki = ensure(Path.of(args[1]));
            Path out = Files.createDirectories(Path.of(args[2]));
            Files.copy(pki.rootCertificateFile(), out.resolve(ROOT_EXPORT), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(pki.crlFile(), out.resolve(CRL_EXPORT), StandardCopyOption.REPLACE_EXISTING);
        } else {
            throw new IllegalArgumentException("usage: sign DIR vendor|partner BUNDLE.jar | export-root DIR OUT");
        }
    }
}
