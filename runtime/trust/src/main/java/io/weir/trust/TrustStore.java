package io.weir.trust;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The trust roots and CRLs a runtime accepts. A root anchors signer chains (it need not be self-signed); a CRL
 * counts only for certificates of the issuer that signed it, which the verifier checks. Immutable.
 */
public final class TrustStore {
    private final List<X509Certificate> roots;
    private final List<X509CRL> crls;

    private TrustStore(List<X509Certificate> roots, List<X509CRL> crls) {
        this.roots = roots;
        this.crls = crls;
    }

    /**
     * Loads a trust store directory: every {@code *.pem} and {@code *.crt} file holds one or more X.509 certificates
     * (PEM or DER), each a root; every {@code *.crl} file holds one or more CRLs (PEM or DER). Other files are ignored.
     *
     * @throws IOException naming the file, when the directory or a file cannot be read or parsed
     */
    public static TrustStore load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("trust store " + dir + " is not a directory");
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(dir)) {
            listing.forEach(files::add);
        }
        files.sort(null);
        List<X509Certificate> roots = new ArrayList<>();
        List<X509CRL> crls = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            if (name.endsWith(".pem") || name.endsWith(".crt")) {
                roots.addAll(certificates(file));
            } else if (name.endsWith(".crl")) {
                crls.addAll(crls(file));
            }
        }
        return new TrustStore(List.copyOf(roots), List.copyOf(crls));
    }

    /** A trust store from roots and CRLs in memory. */
    public static TrustStore of(Collection<X509Certificate> roots, Collection<X509CRL> crls) {
        return new TrustStore(List.copyOf(roots), List.copyOf(crls));
    }

    /** The trusted roots. */
    public List<X509Certificate> roots() {
        return roots;
    }

    /** The CRLs. */
    public List<X509CRL> crls() {
        return crls;
    }

    private static List<X509Certificate> certificates(Path file) throws IOException {
        Collection<? extends Certificate> parsed;
        try (InputStream in = Files.newInputStream(file)) {
            parsed = X509.factory().generateCertificates(in);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("trust store file " + file + " is not an X.509 certificate (PEM or DER): "
                    + e.getMessage(), e);
        }
        if (parsed.isEmpty()) {
            throw new IOException("trust store file " + file + " holds no certificate");
        }
        List<X509Certificate> certificates = new ArrayList<>();
        for (Certificate certificate : parsed) {
            certificates.add((X509Certificate) certificate);
        }
        return certificates;
    }

    private static List<X509CRL> crls(Path file) throws IOException {
        Collection<? extends CRL> parsed;
        try (InputStream in = Files.newInputStream(file)) {
            parsed = X509.factory().generateCRLs(in);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("trust store file " + file + " is not an X.509 CRL (PEM or DER): " + e.getMessage(), e);
        }
        if (parsed.isEmpty()) {
            throw new IOException("trust store file " + file + " holds no CRL");
        }
        List<X509CRL> crls = new ArrayList<>();
        for (CRL crl : parsed) {
            crls.add((X509CRL) crl);
        }
        return crls;
    }
}
