package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

/** The runtime's life cycle and admin API through the real {@code weir} command. */
class WeirEndToEndIT extends WeirProcessTest {
    @Test
    void createListVerifyStopAndRestartKeepsTheDisks() throws Exception {
        Path log = dataDir.resolve("run1.log");
        Process runtime = startRuntime(log);
        assertTrue(readyLine(log).contains(dataDir.resolve("run").resolve("admin.sock").toString()), readyLine(log));

        assertOk(weir("disk", "create", "d1", "--size", "64M"));
        Result list = weir("disk", "list");
        assertOk(list);
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("d1 ") && l.contains("64M") && l.contains("ONLINE")), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("demo ") && l.contains("passthrough")), list.out());

        Result io = weir("io", "--disk", "demo", "--verify", "--time", "2s", "--seed", "11");
        assertOk(io);
        assertTrue(io.out().contains("0 failures in"), io.out());
        assertTrue(io.out().lines().anyMatch(l -> l.matches("errors\\s+0")), io.out());

        Result stop = weir("stop");
        assertOk(stop);
        assertTrue(runtime.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, runtime.exitValue(), Files.readString(log));
        assertFalse(Files.exists(dataDir.resolve("run").resolve("admin.sock")), "a clean stop removes the socket");

        startRuntime(dataDir.resolve("run2.log"));
        JsonArray disks = diskList();
        assertTrue(ids(disks).containsAll(List.of("d1", "demo")), disks.toString());
        assertEquals("ONLINE", state(disks, "d1"));
        assertOk(weir("io", "--disk", "demo", "--verify", "--bytes", "4M"));
        assertOk(weir("stop"));
    }

    @Test
    void killDashNineMidIoLeavesACatalogThatLoadsOnRestart() throws Exception {
        Process runtime = startRuntime(dataDir.resolve("run1.log"));
        assertOk(weir("disk", "create", "k1", "--size", "32M", "--block-size", "4096"));
        Process io = start("io", "--disk", "k1", "--verify", "--time", "60s", "--progress", "--data-dir", dataDir.toString());
        Path ioOut = outputs.get(io)[0];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (Files.readString(ioOut).lines().noneMatch(l -> l.contains(" ops "))) { // first progress line: I/O is flowing
            assertTrue(io.isAlive(), "io ended early: " + Files.readString(ioOut) + Files.readString(outputs.get(io)[1]));
            assertTrue(System.nanoTime() < deadline, "io never reported progress");
            Thread.sleep(100);
        }
        runtime.destroyForcibly();
        assertTrue(runtime.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        Result ioResult = finish(io);
        assertEquals(ExitCode.NOT_REACHABLE, ioResult.exit(), ioResult.err());
        assertEquals(1, ioResult.errLines().size(), ioResult.err());
        assertTrue(Files.exists(dataDir.resolve("run").resolve("admin.sock")), "kill -9 leaves a stale socket behind");

        startRuntime(dataDir.resolve("run2.log"));
        JsonArray disks = diskList();
        assertEquals("ONLINE", state(disks, "k1"), disks.toString());
        assertEquals("ONLINE", state(disks, "demo"), disks.toString());
        assertOk(weir("io", "--disk", "k1", "--verify", "--bytes", "8M", "--bs", "16K"));
        assertOk(weir("stop"));
    }

    @Test
    void secondRunOnTheSameDataDirIsRefusedWithOneLine() throws Exception {
        startRuntime(dataDir.resolve("run1.log"));
        Result second = weir("run");
        assertEquals(ExitCode.RUNTIME_ERROR, second.exit());
        assertEquals(1, second.errLines().size(), second.err());
        assertTrue(second.err().startsWith("weir: a runtime is already running"), second.err());
        assertOk(weir("status"));
        assertOk(weir("stop"));
    }

    @Test
    void noDemoStartsWithoutTheDemoDisk() throws Exception {
        Path log = dataDir.resolve("run1.log");
        ProcessBuilder pb = new ProcessBuilder(java("run", "--no-demo", "--data-dir", dataDir.toString()));
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        runtimes.add(pb.start());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (!Files.exists(log) || !Files.readString(log).contains(" ready: ")) {
            assertTrue(System.nanoTime() < deadline && runtimes.get(0).isAlive(), Files.readString(log));
            Thread.sleep(100);
        }
        assertEquals(0, diskList().size());
        Result status = weir("status");
        assertOk(status);
        assertTrue(status.out().contains("disks     0"), status.out());
        assertOk(weir("stop"));
    }

    @Test
    void commandsWithoutARuntimeSayHowToStartOne() throws Exception {
        Result r = weir("status");
        assertEquals(ExitCode.NOT_REACHABLE, r.exit());
        assertEquals(List.of("weir: no runtime is running for data dir " + dataDir + " (start one with 'weir run')"), r.errLines());
    }

    @Test
    void runtimeServesTheAdminApiToTheOwnerOnlyAndSurvivesMalformedRequests() throws Exception {
        startRuntime(dataDir.resolve("run1.log"));
        Path socket = dataDir.resolve("run").resolve("admin.sock");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(ch);
            assertEquals("BAD_JSON", send(in, out, "{\"op\":").get("code").getAsString());
            assertEquals("UNKNOWN_OP", send(in, out, "{\"op\":\"format.everything\"}").get("code").getAsString());
            assertEquals("INVALID", send(in, out, "{\"op\":\"disk.create\",\"id\":\"x\"}").get("code").getAsString());
            assertEquals("INVALID", send(in, out, "{\"op\":\"disk.create\",\"id\":\"x\",\"size\":\"big\"}").get("code").getAsString());
            assertEquals("NOT_FOUND", send(in, out, "{\"op\":\"disk.info\",\"id\":\"nope\"}").get("code").getAsString());
            assertEquals("TOO_LARGE", send(in, out, "{\"op\":\"status\",\"x\":\"" + "y".repeat(1 << 21) + "\"}").get("code").getAsString());
            JsonObject status = send(in, out, "{\"op\":\"status\"}");
            assertTrue(status.get("ok").getAsBoolean(), status.toString());
            assertEquals(dataDir.toString(), status.get("dataDir").getAsString());
        }
        assertOk(weir("stop"));
    }

    private static JsonObject send(BufferedReader in, OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return JsonParser.parseString(in.readLine()).getAsJsonObject();
    }
}
