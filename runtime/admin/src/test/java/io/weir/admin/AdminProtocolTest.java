package io.weir.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.admin.testing.FakeDiskService;

class AdminProtocolTest {
    @TempDir
    Path dataDir;

    private FakeDiskService disks;
    private AdminServer server;
    private Path socket;
    private final CountDownLatch shutdownCalled = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        disks = new FakeDiskService();
        socket = AdminComponent.socketOf(dataDir);
        server = serverFor(socket);
        server.start();
    }

    private AdminServer serverFor(Path path) {
        return new AdminServer(path, new RequestHandler(disks, new RequestHandler.RuntimeInfo("9.9.9", System.currentTimeMillis(),
                dataDir.toString(), path.toString(), shutdownCalled::countDown)));
    }

    @AfterEach
    void stop() {
        server.close();
        disks.close();
    }

    private static void assertError(JsonObject response, String code, String... words) {
        assertFalse(response.get("ok").getAsBoolean(), response.toString());
        assertEquals(code, response.get("code").getAsString(), response.toString());
        String error = response.get("error").getAsString();
        assertFalse(error.contains("\n"), error);
        for (String w : words) {
            assertTrue(error.contains(w), "'" + error + "' should mention '" + w + "'");
        }
    }

    @Test
    void socketDirectoryIsOwnerOnlyAndSocketIsReadWriteForTheOwnerOnly() throws IOException {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void statusReportsVersionDataDirDisksAndFilters() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":1048576,\"backend\":\"memory\"}");
            JsonObject s = c.call("{\"op\":\"status\"}");
            assertTrue(s.get("ok").getAsBoolean(), s.toString());
            assertEquals("9.9.9", s.get("version").getAsString());
            assertEquals(dataDir.toString(), s.get("dataDir").getAsString());
            assertEquals("d1", s.getAsJsonArray("disks").get(0).getAsJsonObject().get("id").getAsString());
            assertEquals("ONLINE", s.getAsJsonArray("disks").get(0).getAsJsonObject().get("state").getAsString());
            assertEquals("passthrough", s.getAsJsonArray("filters").get(0).getAsJsonObject().get("name").getAsString());
        }
    }

    @Test
    void badJsonGetsBadJsonAndTheConnectionCarriesOn() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            assertError(c.call("{\"op\":"), "BAD_JSON", "not valid JSON");
            assertError(c.call("{op:\"status\"}"), "BAD_JSON", "not valid JSON");
            assertError(c.call("{\"op\":\"status\"} {\"op\":\"status\"}"), "BAD_JSON", "one object per line");
            assertError(c.call("[1,2]"), "BAD_JSON", "must be a JSON object");
            assertError(c.call("\"status\""), "BAD_JSON", "must be a JSON object");
            assertTrue(c.call("{\"op\":\"status\"}").get("ok").getAsBoolean());
        }
    }

    @Test
    void invalidUtf8IsRefusedAsSuch() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            c.send(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
            assertError(c.response(), "BAD_JSON", "UTF-8");
        }
    }

    @Test
    void deeplyNestedJsonIsRefusedWithoutHarm() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            String deep = "{\"op\":\"status\",\"x\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
            assertError(c.call(deep), "BAD_JSON");
            assertTrue(c.call("{\"op\":\"status\"}").get("ok").getAsBoolean());
        }
    }

    @Test
    void unknownOpIsNamedWithTheKnownOnes() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            assertError(c.call("{\"op\":\"disk.explode\"}"), "UNKNOWN_OP", "disk.explode", "disk.create");
            assertError(c.call("{\"id\":\"d1\"}"), "INVALID", "missing field 'op'");
            assertError(c.call("{\"op\":42}"), "INVALID", "field 'op' must be a string");
        }
    }

    @Test
    void missingWrongTypedAndUnknownFieldsAreNamed() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            assertError(c.call("{\"op\":\"disk.create\",\"size\":4096}"), "INVALID", "missing field 'id'", "disk.create");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":\"1G\"}"), "INVALID", "'size'", "whole number", "\"1G\"");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":1.5}"), "INVALID", "'size'", "whole number");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":-4096}"), "INVALID", "'size'", "positive");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":99999999999999999999999}"), "INVALID", "'size'", "out of range");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":4096,\"blockSize\":1024}"), "INVALID", "512 or 4096", "1024");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":4096,\"sise\":1}"), "INVALID", "unknown field 'sise'");
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":4096,\"options\":{\"path\":7}}"), "INVALID", "options.path", "string");
            assertError(c.call("{\"op\":\"filter.attach\",\"disk\":\"d1\",\"filter\":\"passthrough\",\"config\":[1]}"), "INVALID", "'config'");
            assertError(c.call("{\"op\":\"io\",\"disk\":\"d1\",\"readPct\":101}"), "INVALID", "'readPct'", "between 0 and 100", "101");
            assertError(c.call("{\"op\":\"io\",\"disk\":\"d1\",\"pattern\":\"zigzag\"}"), "INVALID", "random or sequential", "zigzag");
            assertError(c.call("{\"op\":\"io\",\"disk\":\"d1\",\"timeMs\":100,\"bytes\":4096}"), "INVALID", "not both");
            assertError(c.call("{\"op\":\"status\",\"verbose\":true}"), "INVALID", "unknown field 'verbose'", "takes no fields");
        }
    }

    @Test
    void lineOverOneMebibyteIsRefusedAndTheNextRequestIsServed() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            byte[] huge = new byte[AdminServer.MAX_LINE + 10];
            Arrays.fill(huge, (byte) 'x');
            c.send(huge);
            c.send("\n{\"op\":\"status\"}\n".getBytes(StandardCharsets.US_ASCII));
            assertError(c.response(), "TOO_LARGE", String.valueOf(AdminServer.MAX_LINE));
            assertTrue(c.response().get("ok").getAsBoolean());
        }
    }

    @Test
    void lineOfExactlyTheLimitIsStillParsed() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            String head = "{\"op\":\"status\"}";
            String line = head + " ".repeat(AdminServer.MAX_LINE - head.length());
            assertTrue(c.call(line).get("ok").getAsBoolean());
        }
    }

    @Test
    void diskLifecycleRoundTripsThroughTheProtocol() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            JsonObject created = c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":1048576,\"blockSize\":4096,\"backend\":\"memory\","
                    + "\"options\":{\"k\":\"v\"}}");
            assertTrue(created.get("ok").getAsBoolean(), created.toString());
            JsonObject disk = created.getAsJsonObject("disk");
            assertEquals(1048576, disk.get("capacity").getAsLong());
            assertEquals(4096, disk.get("blockSize").getAsInt());
            assertEquals("v", disk.getAsJsonObject("options").get("k").getAsString());
            assertError(c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":4096,\"backend\":\"memory\"}"), "EXISTS", "d1");
            assertEquals(1, c.call("{\"op\":\"disk.list\"}").getAsJsonArray("disks").size());
            JsonObject grown = c.call("{\"op\":\"disk.grow\",\"id\":\"d1\",\"size\":2097152}");
            assertEquals(2097152, grown.getAsJsonObject("disk").get("capacity").getAsLong());
            JsonObject attached = c.call("{\"op\":\"filter.attach\",\"disk\":\"d1\",\"filter\":\"passthrough\",\"config\":{\"n\":3,\"on\":true}}");
            assertEquals("passthrough", attached.getAsJsonObject("disk").getAsJsonArray("stack").get(0).getAsJsonObject()
                    .get("name").getAsString());
            assertEquals(3, attached.getAsJsonObject("disk").getAsJsonArray("filters").get(0).getAsJsonObject()
                    .getAsJsonObject("config").get("n").getAsInt());
            assertEquals("d1", c.call("{\"op\":\"filter.list\"}").getAsJsonArray("filters").get(0).getAsJsonObject()
                    .getAsJsonArray("disks").get(0).getAsString());
            assertTrue(c.call("{\"op\":\"filter.detach\",\"disk\":\"d1\",\"filter\":\"passthrough\"}").get("ok").getAsBoolean());
            assertError(c.call("{\"op\":\"filter.detach\",\"disk\":\"d1\",\"filter\":\"passthrough\"}"), "NOT_FOUND", "passthrough");
            assertTrue(c.call("{\"op\":\"disk.delete\",\"id\":\"d1\"}").get("ok").getAsBoolean());
            assertError(c.call("{\"op\":\"disk.info\",\"id\":\"d1\"}"), "NOT_FOUND", "d1");
        }
    }

    @Test
    void ioOnADiskThatIsNotServingSaysWhy() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            assertError(c.call("{\"op\":\"io\",\"disk\":\"nope\",\"timeMs\":100}"), "NOT_FOUND", "nope");
            c.call("{\"op\":\"disk.create\",\"id\":\"w\",\"size\":1048576,\"backend\":\"tape\"}");
            assertError(c.call("{\"op\":\"io\",\"disk\":\"w\",\"timeMs\":100}"), "UNAVAILABLE", "WAITING", "tape");
        }
    }

    @Test
    void ioWithVerifyOnAnHonestDiskSucceedsAndStreamsProgress() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":4194304,\"backend\":\"memory\"}");
            JsonObject r = c.call("{\"op\":\"io\",\"disk\":\"d1\",\"timeMs\":1500,\"verify\":true,\"seed\":7,\"qd\":8,"
                    + "\"progress\":true}");
            assertTrue(r.get("ok").getAsBoolean(), r.toString());
            JsonObject result = r.getAsJsonObject("result");
            assertEquals(0, result.get("verifyFailures").getAsLong());
            assertEquals(0, result.get("errors").getAsLong());
            assertTrue(result.get("verifiedReads").getAsLong() > 0, result.toString());
            assertEquals(7, result.get("seed").getAsLong());
            assertTrue(result.get("flushed").getAsBoolean());
            assertTrue(result.getAsJsonObject("latencyUs").has("p99.9"));
            assertFalse(c.progress.isEmpty(), "a run over a second long streams progress");
        }
    }

    @Test
    void ioWithVerifyOnACorruptingDiskFailsWithTheOffset() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            c.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":65536,\"backend\":\"memory\"}");
            disks.memory("d1").corruptReadsAt(8192 + 100);
            JsonObject r = c.call("{\"op\":\"io\",\"disk\":\"d1\",\"bytes\":4194304,\"verify\":true,\"readPct\":50}");
            assertError(r, "VERIFY_FAILED", "verify failure", "offset 8192");
            assertTrue(r.getAsJsonObject("result").get("verifyFailures").getAsLong() > 0);
            assertTrue(r.getAsJsonObject("result").getAsJsonArray("problems").get(0).getAsString().contains("offset 8192"));
        }
    }

    @Test
    void verifyingRunMustBeAloneOnItsDisk() throws Exception {
        try (TestClient a = new TestClient(socket); TestClient b = new TestClient(socket)) {
            a.call("{\"op\":\"disk.create\",\"id\":\"d1\",\"size\":1048576,\"backend\":\"memory\"}");
            a.call("{\"op\":\"disk.create\",\"id\":\"d2\",\"size\":1048576,\"backend\":\"memory\"}");
            a.send("{\"op\":\"io\",\"disk\":\"d1\",\"timeMs\":600000,\"verify\":true,\"progress\":true}\n"
                    .getBytes(StandardCharsets.UTF_8));
            assertTrue(a.readLine().contains("progress"), "the first run is going");
            assertError(b.call("{\"op\":\"io\",\"disk\":\"d1\",\"bytes\":65536,\"verify\":true}"), "BUSY", "d1", "verif");
            assertError(b.call("{\"op\":\"io\",\"disk\":\"d1\",\"bytes\":65536}"), "BUSY", "d1");
            assertTrue(b.call("{\"op\":\"io\",\"disk\":\"d2\",\"bytes\":65536,\"verify\":true}").get("ok").getAsBoolean(),
                    "another disk is free");
        }
        // the first client left: its run notices at its next progress line and stops
        try (TestClient c = new TestClient(socket)) {
            JsonObject r = null;
            for (int i = 0; i < 600; i++) {
                r = c.call("{\"op\":\"io\",\"disk\":\"d1\",\"bytes\":65536,\"verify\":true}");
                if (r.get("ok").getAsBoolean()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(r.get("ok").getAsBoolean(), "the disk is free again once the client is gone: " + r);
        }
    }

    @Test
    void shutdownAnswersBeforeTheRuntimeStops() throws Exception {
        try (TestClient c = new TestClient(socket)) {
            JsonObject r = c.call("{\"op\":\"shutdown\"}");
            assertTrue(r.get("ok").getAsBoolean());
            assertTrue(shutdownCalled.await(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void connectionsBeyondTheCapAreToldBusyAndTheOthersCarryOn() throws Exception {
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < AdminServer.MAX_CONNECTIONS; i++) {
                TestClient c = new TestClient(socket);
                clients.add(c);
                assertTrue(c.call("{\"op\":\"status\"}").get("ok").getAsBoolean());
            }
            try (TestClient extra = new TestClient(socket)) {
                assertError(extra.response(), "BUSY", String.valueOf(AdminServer.MAX_CONNECTIONS));
                assertNull(extra.readLine());
            }
            assertTrue(clients.get(0).call("{\"op\":\"status\"}").get("ok").getAsBoolean());
        } finally {
            for (TestClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void staleSocketFileFromACrashDoesNotBlockAStart() throws IOException {
        server.close();
        // what a crash leaves: a socket file nobody listens on
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket));
        dead.close();
        assertTrue(Files.exists(socket));
        server = serverFor(socket);
        server.start();
        try (TestClient c = new TestClient(socket)) {
            assertTrue(c.call("{\"op\":\"status\"}").get("ok").getAsBoolean());
        }
    }

    @Test
    void secondServerOnALiveSocketIsRefused() {
        AdminServer second = serverFor(socket);
        IOException e = assertThrows(IOException.class, second::start);
        assertTrue(e.getMessage().contains("another runtime already serves"), e.getMessage());
    }

    @Test
    void closingRemovesTheSocketFile() {
        server.close();
        assertFalse(Files.exists(socket));
    }
}
