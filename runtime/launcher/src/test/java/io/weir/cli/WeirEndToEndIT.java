package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the built {@code weir.jar} as a user would: {@code weir run} in a child JVM over a fresh data directory,
 * and every other command as a child JVM of its own. Waits are bounded only to keep a broken build from
 * hanging; nothing asserts on how long anything took.
 */
class WeirEndToEndIT {
    private static final long PATIENCE_SECONDS = 180;

    private final List<Process> runtimes = new ArrayList<>();
    private Path dataDir;

    /** Output of one finished CLI command. */
    record Result(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    @BeforeEach
    void freshDataDir() throws IOException {
        // short and owned by the test: the admin socket path must stay under 108 bytes
        dataDir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "weir-it-");
    }

    @AfterEach
    void stopLeftovers() throws Exception {
        for (Process p : runtimes) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
            }
        }
        deleteTree(dataDir);
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("weir.jar", "target/weir.jar"));
        assertTrue(Files.isRegularFile(jar), "build the launcher first: " + jar + " is missing");
        return jar;
    }

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** Start {@code weir run} and wait for its ready line; returns the process and that line. */
    private Process startRuntime(Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(java("run", "--data-dir", dataDir.toString()));
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        runtimes.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.lines().anyMatch(l -> l.contains(" ready: "))) {
                return p;
            }
            if (!p.isAlive()) {
                fail("weir run exited with " + p.exitValue() + " before it was ready:\n" + text);
            }
            Thread.sleep(100);
        }
        fail("weir run did not become ready:\n" + Files.readString(log));
        return p;
    }

    private static String readyLine(Path log) throws IOException {
        return Files.readString(log).lines().filter(l -> l.contains(" ready: ")).findFirst().orElseThrow();
    }

    /** Run one weir command with {@code --data-dir} appended and wait for it. */
    private Result weir(String... args) throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--data-dir");
        a.add(dataDir.toString());
        return finish(start(a.toArray(String[]::new)));
    }

    private Process start(String... args) throws IOException {
        Path out = Files.createTempFile(dataDir, "out", ".txt");
        Path err = Files.createTempFile(dataDir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(java(args));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        pb.environment().remove(DataDirOption.ENV);
        Process p = pb.start();
        outputs.put(p, new Path[] {out, err});
        return p;
    }

    private final java.util.Map<Process, Path[]> outputs = new java.util.HashMap<>();

    private Result finish(Process p) throws Exception {
        if (!p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("command did not finish");
        }
        Path[] o = outputs.get(p);
        return new Result(p.exitValue(), Files.readString(o[0]), Files.readString(o[1]));
    }

    private static void assertOk(Result r) {
        assertEquals(0, r.exit, "exit code; stdout:\n" + r.out + "\nstderr:\n" + r.err);
    }

    private JsonArray diskList() throws Exception {
        Result r = weir("disk", "list", "--json");
        assertOk(r);
        return JsonParser.parseString(r.out).getAsJsonArray();
    }

    private static List<String> ids(JsonArray disks) {
        List<String> ids = new ArrayList<>();
        for (JsonElement d : disks) {
            ids.add(d.getAsJsonObject().get("id").getAsString());
        }
        return ids;
    }

    private static String state(JsonArray disks, String id) {
        for (JsonElement d : disks) {
            if (d.getAsJsonObject().get("id").getAsString().equals(id)) {
                return d.getAsJsonObject().get("state").getAsString();
            }
        }
        return "absent";
    }

    @Test
    void createListVerifyStopAndRestartKeepsTheDisks() throws Exception {
        Path log = dataDir.resolve("run1.log");
        Process runtime = startRuntime(log);
        assertTrue(readyLine(log).contains(dataDir.resolve("run").resolve("admin.sock").toString()), readyLine(log));

        assertOk(weir("disk", "create", "d1", "--size", "64M"));
        Result list = weir("disk", "list");
        assertOk(list);
        assertTrue(list.out.lines().anyMatch(l -> l.startsWith("d1 ") && l.contains("64M") && l.contains("ONLINE")), list.out);
        assertTrue(list.out.lines().anyMatch(l -> l.startsWith("demo ") && l.contains("passthrough")), list.out);

        Result io = weir("io", "--disk", "demo", "--verify", "--time", "2s", "--seed", "11");
        assertOk(io);
        assertTrue(io.out.contains("0 failures in"), io.out);
        assertTrue(io.out.lines().anyMatch(l -> l.matches("errors\\s+0")), io.out);

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
        assertEquals(ExitCode.NOT_REACHABLE, ioResult.exit, ioResult.err);
        assertEquals(1, ioResult.errLines().size(), ioResult.err);
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
        assertEquals(ExitCode.RUNTIME_ERROR, second.exit);
        assertEquals(1, second.errLines().size(), second.err);
        assertTrue(second.err.startsWith("weir: a runtime is already running"), second.err);
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
        assertTrue(status.out.contains("disks     0"), status.out);
        assertOk(weir("stop"));
    }

    @Test
    void commandsWithoutARuntimeSayHowToStartOne() throws Exception {
        Result r = weir("status");
        assertEquals(ExitCode.NOT_REACHABLE, r.exit);
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

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        }
    }
}
