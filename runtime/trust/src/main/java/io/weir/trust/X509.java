package io.weir.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;

/** Certificate, CRL and file helpers shared by this package. Holds no state. */
final class X509 {
    private X509() {
    }

    /** The JDK's X.509 factory (the JDK's own implementation, so results behave like the JDK's everywhere). */
    static CertificateFactory factory() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
    }

    /** Parses one certificate, PEM or DER. */
    static X509Certificate certificate(byte[] encoded) throws CertificateException {
        return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(encoded));
    }

    /** Parses one CRL, PEM or DER. */
    static X509CRL crl(byte[] encoded) throws GeneralSecurityException {
        return (X509CRL) factory().generateCRL(new ByteArrayInputStream(encoded));
    }

    /** PEM text of a certificate. */
    static byte[] pem(X509Certificate certificate) throws CertificateException {
        return pem("CERTIFICATE", certificate.getEncoded());
    }

    /** PEM text of a CRL. */
    static byte[] pem(X509CRL crl) throws GeneralSecurityException {
        return pem("X509 CRL", crl.getEncoded());
    }

    private static byte[] pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return ("-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The subject of a certificate, RFC 2253. */
    static String subject(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName();
    }

    /** A serial number as colon-free lower-case hex, the form `keytool` and `openssl` show. */
    static String hex(java.math.BigInteger serial) {
        return serial.toString(16);
    }

    /** Lower-case hex of bytes. */
    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** Whether a certificate is self-issued and verifies with its own key. */
    static boolean selfSigned(X509Certificate certificate) {
        if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
            return false;
        }
        try {
            certificate.verify(certificate.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Writes a file atomically (temporary file in the same directory, then a move). */
    static void writeAtomically(Path file, byte[] content) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                out.write(content);
            }
            move(temporary, absolute);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Moves a file over another, atomically when the file system allows. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
