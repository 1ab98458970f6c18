package io.weir.samples.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Instant;
import java.time.Duration;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.samples.replication.ReplicationMetrics.LinkState;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

/** The wire format and the mutual TLS around it. */
class LinkSecurityTest {
    @TempDir
    Path tmp;

    @Test
    void aFrameRoundTripsAndACorruptedByteIsCaughtByItsChecksum() throws IOException {
        ByteBuffer payload = ByteBuffer.allocate(8 + 512).putLong(4096).put(Loopback.pattern(3, 512)).flip();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Frame(Frame.WRITE, Frame.FLAG_SYNC, 42, payload).writeTo(out);
        byte[] wire = out.toByteArray();
        assertEquals(Frame.HEADER + 520 + 4, wire.length);

        Frame back = Frame.readFrom(new DataInputStream(new ByteArrayInputStream(wire)));
        assertEquals(Frame.WRITE, back.type);
        assertEquals(42, back.seq);
        assertTrue(back.has(Frame.FLAG_SYNC));
        assertEquals(payload, back.payload);

        wire[Frame.HEADER + 100] ^= 1;
        IOException corrupt = assertThrows(IOException.class,
                () -> Frame.readFrom(new DataInputStream(new ByteArrayInputStream(wire))));
        assertTrue(corrupt.getMessage().contains("CRC32C"), corrupt.getMessage());
        assertThrows(EOFException.class, () -> Frame.readFrom(new DataInputStream(new ByteArrayInputStream(new byte[0]))));
        byte[] otherVersion = out.toByteArray();
        otherVersion[2] = 9;
        IOException version = assertThrows(IOException.class,
                () -> Frame.readFrom(new DataInputStream(new ByteArrayInputStream(otherVersion))));
        assertTrue(version.getMessage().contains("version 9"), version.getMessage());
    }

    @Test
    void bothEndsSpeakTls13AndPresentCertificatesChainingToTheConfiguredRoot() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            TlsCredentials primary = TestPki.credentials(net.primary);
            try (SSLSocket s = primary.connect("127.0.0.1", net.receiver.port(), 3000, true)) {
                assertEquals("TLSv1.3", s.getSession().getProtocol());
                assertTrue(s.getSession().getPeerCertificates().length >= 1);
            }
        }
    }

    @Test
    void aPrimaryWhoseCertificateChainsToAnotherRootIsRefusedAndReplicatesNothing() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            TestPki rogue = new TestPki(tmp.resolve("rogue"), "rogue");
            TestPki.Node intruder = rogue.node("intruder", net.pki.rootPem());
            IOException refused = assertThrows(IOException.class, () -> {
                try (SSLSocket s = TestPki.credentials(intruder).connect("127.0.0.1", net.receiver.port(), 3000,
                        true)) {
                    new Frame(Frame.PING, 0, 0, null).writeTo(s.getOutputStream());
                    s.getOutputStream().flush();
                    Frame.readFrom(new DataInputStream(s.getInputStream()));
                }
            });
            assertTrue(refused.getMessage() != null, String.valueOf(refused));

            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            Map<String, Object> config = net.config("async", "replication.keystore", intruder.keystore().toString(),
                    "replication.keystore.passwordFile", intruder.passwordFile().toString());
            try (StandaloneDisk disk = Disks.builder("x1").backend(MemoryBackend.durable(1 << 20))
                    .sidecarDirectory(tmp.resolve("sc"))
                    .filter("replication", FilterClass.REPLICATION, factory, config).open()) {
                assertTrue(Loopback.write(disk, 0, Loopback.pattern(1, 4096), false).isOk(),
                        "the guest is never blocked by a replica that refuses it");
                ReplicationMetrics m = Loopback.await(factory, "x1", x -> x.state() == LinkState.DOWN
                        && x.lastError().isPresent(), "the link is refused");
                assertEquals(0, m.connects(), m.toString());
                assertTrue(m.dirtyBytes() > 0, m.toString());
            }
            assertTrue(!Files.exists(net.image("x1")), "the receiver created nothing for an untrusted primary");
        }
    }

    @Test
    void withTheRootsCrlARevokedReceiverIsRefusedAndAnUnrevokedOneAccepted() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            TestPki.Node p = net.primary;
            Instant later = Instant.now().plus(Duration.ofDays(1));
            Path othersRevoked = net.pki.crl("others", later, BigInteger.valueOf(12345), p.serial().add(BigInteger.ONE));
            try (SSLSocket s = TlsCredentials.load(p.keystore(), p.passwordFile(), p.trust(), othersRevoked)
                    .connect("127.0.0.1", net.receiver.port(), 3000, true)) {
                assertEquals("TLSv1.3", s.getSession().getProtocol());
            }
            Path receiverRevoked = net.pki.crl("receiver", later, net.replica.serial());
            IOException refused = assertThrows(IOException.class, () -> TlsCredentials.load(p.keystore(),
                    p.passwordFile(), p.trust(), receiverRevoked).connect("127.0.0.1", net.receiver.port(), 3000, true)
                    .close());
            assertTrue(String.valueOf(refused.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("revoked"),
                    String.valueOf(refused));
            // a CRL past its next update proves nothing: refused as well, never silently ignored
            Path stale = net.pki.crl("stale", Instant.now().minus(Duration.ofHours(1))); // past the JDK's skew
            assertThrows(IOException.class, () -> TlsCredentials.load(p.keystore(), p.passwordFile(), p.trust(), stale)
                    .connect("127.0.0.1", net.receiver.port(), 3000, true).close());
            IOException notACrl = assertThrows(IOException.class,
                    () -> TlsCredentials.load(p.keystore(), p.passwordFile(), p.trust(), p.trust()));
            assertTrue(notACrl.getMessage().contains("CRL " + p.trust()), notACrl.getMessage());
        }
    }

    @Test
    void aReceiverWhoseCertificateChainsToAnotherRootIsNotTrustedByThePrimary() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            TestPki other = new TestPki(tmp.resolve("other"), "other");
            TestPki.Node primaryTrustingOther = net.pki.node("primary2", other.rootPem());
            assertThrows(IOException.class, () -> TestPki.credentials(primaryTrustingOther)
                    .connect("127.0.0.1", net.receiver.port(), 3000, true).close());
        }
    }

    @Test
    void badSettingsAreRefusedWhenTheFilterIsCreated() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            ReplicationFilterFactory factory = new ReplicationFilterFactory();
            for (Map<String, Object> bad : java.util.List.of(
                    net.config("mirror"),
                    net.config("async", "replication.region.bytes", 3000),
                    net.config("async", "replication.target", "no-port"),
                    net.config("async", "replication.keystore", tmp.resolve("missing.p12").toString()),
                    net.config("sync", "replication.sync.onFailure", "panic"))) {
                DiskException e = assertThrows(DiskException.class, () -> Disks.builder("bad")
                        .backend(MemoryBackend.durable(1 << 20)).sidecarDirectory(tmp.resolve("sc"))
                        .filter("replication", FilterClass.REPLICATION, factory, bad).open().close());
                assertTrue(e.getMessage().contains("replication"), e.getMessage());
            }
        }
    }
}
