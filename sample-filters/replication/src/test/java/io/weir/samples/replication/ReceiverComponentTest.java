package io.weir.samples.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Path;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiver as Declarative Services activates it from a ConfigAdmin configuration. */
class ReceiverComponentTest {
    @TempDir
    Path tmp;

    private record Settings(Path dir, TestPki.Node node, int port) implements ReceiverSettings {
        @Override
        public Class<? extends Annotation> annotationType() {
            return ReceiverSettings.class;
        }

        @Override
        public String receiver_bind() {
            return "127.0.0.1";
        }

        @Override
        public int receiver_port() {
            return port;
        }

        @Override
        public String receiver_directory() {
            return dir.toString();
        }

        @Override
        public String receiver_keystore() {
            return node.keystore().toString();
        }

        @Override
        public String receiver_keystore_passwordFile() {
            return node.passwordFile().toString();
        }

        @Override
        public String receiver_crl() {
            return "";
        }

        @Override
        public String receiver_trust() {
            return node.trust().toString();
        }

        @Override
        public long receiver_retention_seconds() {
            return 3600;
        }

        @Override
        public long receiver_retention_bytes() {
            return 1L << 24;
        }
    }

    @Test
    void theComponentListensWithItsConfigurationAndStopsWhenDeactivated() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"), "c");
        TestPki.Node node = pki.node("replica");
        ReceiverComponent component = new ReceiverComponent(new Settings(tmp.resolve("replicas"), node, 0));
        int port = component.receiver().port();
        try (SSLSocket s = TestPki.credentials(pki.node("primary")).connect("127.0.0.1", port, 3000, true)) {
            assertEquals("TLSv1.3", s.getSession().getProtocol());
        }
        assertEquals(0, component.receiver().store().list().size());
        component.stop();
        assertThrows(IOException.class, () -> TestPki.credentials(node).connect("127.0.0.1", port, 1000, true));
    }

    @Test
    void aConfigurationWithUnreadableKeyMaterialFailsActivationNamingTheFile() throws Exception {
        TestPki pki = new TestPki(tmp.resolve("pki"), "c");
        TestPki.Node node = pki.node("replica");
        TestPki.Node broken = new TestPki.Node(node.keystore(), tmp.resolve("no-such-password"), node.trust(),
                node.serial());
        IOException e = assertThrows(IOException.class,
                () -> new ReceiverComponent(new Settings(tmp.resolve("replicas"), broken, 0)));
        assertTrue(e.getMessage().contains("no-such-password"), e.getMessage());
    }
}
