package io.weir.samples.replication;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CRL;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The key material of one replication node, for mutual TLS 1.3: this node's private key and certificate chain from
 * a PKCS#12 keystore (its password in a file of its own, first line), and the trust anchor (a PEM file holding one
 * or more root certificates) that the other side's certificate must chain to, and optionally a CRL of that root
 * (PEM or DER, as {@code weir pki} writes {@code root.crl}): then a revoked certificate is refused too, and so is
 * any once the CRL is past its next-update time. Both ends present a certificate and both check the other's;
 * nothing else is trusted, not even the JDK's default roots. The CRL is read when the credentials are loaded:
 * reconfigure the filter, or set the receiver's settings again, after replacing it.
 */
public final class TlsCredentials {
    /** The only protocol either end speaks. */
    public static final String PROTOCOL = "TLSv1.3";

    private final SSLContext context;
    private final String subject;

    private TlsCredentials(SSLContext context, String subject) {
        this.context = context;
        this.subject = subject;
    }

    /**
     * Load the credentials.
     *
     * @param keystore     PKCS#12 file with exactly one private key entry (key and chain)
     * @param passwordFile file whose first line is the keystore's (and key's) password
     * @param trustAnchor  PEM file with the root certificate(s) the peer must chain to
     * @throws IOException a file is missing or unreadable, or its contents are not what they should be; the message
     *                     names the file
     */
    public static TlsCredentials load(Path keystore, Path passwordFile, Path trustAnchor) throws IOException {
        return load(keystore, passwordFile, trustAnchor, null);
    }

    /**
     * Load the credentials, checking the peer's certificate against a CRL too.
     *
     * @param crl the CRL file, or null to check no revocation
     * @see #load(Path, Path, Path)
     */
    public static TlsCredentials load(Path keystore, Path passwordFile, Path trustAnchor, Path crl) throws IOException {
        char[] password = readPassword(passwordFile);
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                keys.load(in, password);
            } catch (IOException | GeneralSecurityException e) {
                throw new IOException("keystore " + keystore + " cannot be read as PKCS#12 with the password in "
                        + passwordFile + ": " + e.getMessage(), e);
            }
            String alias = null;
            for (String a : java.util.Collections.list(keys.aliases())) {
                if (keys.isKeyEntry(a)) {
                    if (alias != null) {
                        throw new IOException("keystore " + keystore + " holds more than one private key");
                    }
                    alias = a;
                }
            }
            if (alias == null) {
                throw new IOException("keystore " + keystore + " holds no private key");
            }
            Certificate leaf = keys.getCertificate(alias);
            String subject = leaf instanceof X509Certificate x ? alias + " (serial " + x.getSerialNumber().toString(16)
                    + ")" : alias;
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);

            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            List<X509Certificate> roots = readPem(trustAnchor);
            for (int i = 0; i < roots.size(); i++) {
                trust.setCertificateEntry("root-" + i, roots.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            if (crl == null) {
                tmf.init(trust);
            } else {
                PKIXBuilderParameters params = new PKIXBuilderParameters(trust, new X509CertSelector());
                params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(readCrl(crl))));
                params.setRevocationEnabled(true);
                tmf.init(new CertPathTrustManagerParameters(params));
            }

            SSLContext ssl = SSLContext.getInstance(PROTOCOL);
            ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return new TlsCredentials(ssl, subject);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS from " + keystore + " and " + trustAnchor + ": " + e.getMessage(),
                    e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** This node's key entry: its alias in the keystore and its certificate's serial number. */
    public String subject() {
        return subject;
    }

    /**
     * Connect to a replica and complete the handshake. With {@code verifyHostname}, the replica's certificate must
     * also name {@code host} (subject alternative name), as HTTPS clients check.
     */
    SSLSocket connect(String host, int port, int timeoutMillis, boolean verifyHostname) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), timeoutMillis);
            plain.setTcpNoDelay(true);
            plain.setSoTimeout(timeoutMillis);
            SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
            SSLParameters p = s.getSSLParameters();
            p.setProtocols(new String[] {PROTOCOL});
            if (verifyHostname) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
            s.setSSLParameters(p);
            s.setUseClientMode(true);
            s.startHandshake();
            return s;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    /** A listening socket that requires and checks a client certificate. */
    SSLServerSocket listen(String bindAddress, int port) throws IOException {
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(bindAddress, port), 64);
        SSLParameters p = server.getSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setNeedClientAuth(true);
        server.setSSLParameters(p);
        return server;
    }

    /** The bytes of {@code file}; an error names it as {@code what}. */
    private static byte[] read(Path file, String what) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(what + " " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static char[] readPassword(Path file) throws IOException {
        byte[] bytes = read(file, "password file");
        String text = new String(bytes, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        String line = (nl < 0 ? text : text.substring(0, nl)).replace("\r", "");
        Arrays.fill(bytes, (byte) 0);
        return line.toCharArray();
    }

    private static Collection<? extends CRL> readCrl(Path file) throws IOException {
        byte[] bytes = read(file, "CRL");
        try {
            Collection<? extends CRL> crls = CertificateFactory.getInstance("X.509")
                    .generateCRLs(new ByteArrayInputStream(bytes));
            if (crls.isEmpty()) {
                throw new IOException("CRL " + file + " holds no CRL");
            }
            return crls;
        } catch (GeneralSecurityException e) {
            throw new IOException("CRL " + file + " is not a PEM or DER X.509 CRL: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> readPem(Path file) throws IOException {
        byte[] bytes = read(file, "trust anchor");
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes));
            List<X509Certificate> roots = new ArrayList<>();
            for (Certificate c : certs) {
                roots.add((X509Certificate) c);
            }
            if (roots.isEmpty()) {
                throw new IOException("trust anchor " + file + " holds no certificate");
            }
            return roots;
        } catch (GeneralSecurityException e) {
            throw new IOException("trust anchor " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }
}
