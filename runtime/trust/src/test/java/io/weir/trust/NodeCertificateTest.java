package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node certificates: what two runtimes present to each other over mutual TLS (replication). */
class NodeCertificateTest {
    private static final char[] PASSWORD = "pki".toCharArray();

    @TempDir
    Path dir;
    private Pki pki;

    @BeforeEach
    void pki() throws Exception {
        pki = Pki.init(dir.resolve("pki"), PASSWORD, "Test Vendor", 30);
    }

    private static SSLContext tls(SigningIdentity node, X509Certificate root) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("node", node.privateKey(), PASSWORD, node.chain().toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(keys, PASSWORD);
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /** One byte each way over a TLS 1.3 connection that requires a client certificate; the client checks the host. */
    private static void handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    int b = in.read();
                    s.getOutputStream().write(b + 1);
                    s.getOutputStream().flush();
                    return b;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 10_000);
                s.setSoTimeout(10_000);
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // the server's certificate must name 127.0.0.1
                s.setSSLParameters(p);
                OutputStream out = s.getOutputStream();
                out.write(41);
                out.flush();
                assertEquals(42, s.getInputStream().read());
            }
            assertEquals(41, served.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void twoNodesOfOnePkiCompleteAMutualTlsHandshake() throws Exception {
        SigningIdentity a = pki.issueNode("replica-a", List.of("localhost", "127.0.0.1"), 30);
        SigningIdentity b = pki.issueNode("replica-b", List.of("127.0.0.1"), 30);
        handshake(tls(a, pki.root()), tls(b, pki.root()));
    }

    @Test
    void aNodeOfAnotherPkiIsRefusedByBothSides() throws Exception {
        Pki other = Pki.init(dir.resolve("other"), PASSWORD, "Someone Else", 30);
        SigningIdentity ours = pki.issueNode("ours", List.of("127.0.0.1"), 30);
        SigningIdentity theirs = other.issueNode("theirs", List.of("127.0.0.1"), 30);
        // the client trusts only its own root: the server's certificate fails its check
        assertThrows(SSLHandshakeException.class, () -> handshake(tls(ours, pki.root()), tls(theirs, other.root())));
        // the client trusts our root too, but the server does not trust the client's certificate
        SSLContext trustsBoth = tls(theirs, pki.root());
        Exception e = assertThrows(Exception.class, () -> handshake(tls(ours, pki.root()), trustsBoth));
        boolean tlsRefusal = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            tlsRefusal |= t instanceof javax.net.ssl.SSLException || t instanceof java.net.SocketException;
        }
        assertTrue(tlsRefusal, "expected the TLS layer to refuse: " + e);
    }

    @Test
    void aNodeCertificateIsNeverAcceptedAsABundleSigner() throws Exception {
        SigningIdentity node = pki.issueNode("replica-a", List.of("localhost"), 30);
        Path jar = BundleCorpus.unsignedBundle(dir.resolve("unsigned.jar"), "CACHE");
        Path signed = dir.resolve("signed.jar");
        BundleSigner.sign(jar, signed, node);
        Verdict v = new BundleVerifier(TrustStore.of(List.of(pki.root()), List.of(pki.crl())),
                java.time.Clock.systemUTC()).verify(signed);
        assertFalse(v.accepted(), v.reasons().toString());
    }

    @Test
    void nodesAreListedWithTheirHostsAndCanBeRevoked() throws Exception {
        SigningIdentity node = pki.issueNode("replica-a", List.of("replica-a.example", "10.0.0.7"), 30);
        List<IssuedNode> nodes = pki.issuedNodes();
        assertEquals(1, nodes.size());
        assertEquals(List.of("replica-a.example", "10.0.0.7"), nodes.get(0).hosts());
        assertFalse(nodes.get(0).revoked());
        pki.revoke(node.certificate().getSerialNumber(), "keyCompromise");
        assertTrue(pki.issuedNodes().get(0).revoked());
        assertTrue(Pki.open(dir.resolve("pki"), PASSWORD).crl().isRevoked(node.certificate()));
        assertEquals(1, pki.issued().size(), "the signing certificates are listed apart (only the vendor's)");
    }

    @Test
    void malformedHostsAndEmptyHostListsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> pki.issueNode("n", List.of(), 30));
        assertThrows(IllegalArgumentException.class, () -> pki.issueNode("n", List.of("bad host"), 30));
        assertThrows(IllegalArgumentException.class, () -> pki.issueNode("n", List.of("300.1.1.1"), 30));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pki.issueNode(" ", List.of("localhost"), 30));
        assertTrue(e.getMessage().contains("node name"), e.getMessage());
    }

    @Test
    void theNodeChainEndsAtTheRoot() throws Exception {
        SigningIdentity node = pki.issueNode("replica-a", List.of("localhost"), 30);
        assertEquals(2, node.chain().size());
        assertArrayEquals(pki.root().getEncoded(), node.chain().get(1).getEncoded());
        assertTrue(node.certificate().getExtendedKeyUsage().containsAll(
                List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")));
    }
}
