package io.weir.frontend.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real NBD clients (libnbd's nbdinfo and nbdcopy, QEMU's qemu-io and qemu-img) against the server. Each test is
 * skipped, with a message, only when its tool is not installed; CI installs them (.ci/run).
 */
class NbdRealClientTest {
    @TempDir
    Path tmp;

    private Fixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new Fixture();
    }

    @AfterEach
    void stop() throws Exception {
        fx.close();
    }

    private record Result(int exit, String output) {
    }

    private static void assumeTool(String tool) {
        boolean found = toolPath(tool) != null;
        if (System.getenv("CI") != null && !found) {
            throw new AssertionError(tool + " is not installed, and CI must run every real-client test (.ci/run installs it)");
        }
        assumeTrue(found, tool + " is not installed (apt-get install qemu-utils libnbd-bin python3-libnbd); skipping");
    }

    /** Where {@code tool} is on the PATH, or null. */
    private static Path toolPath(String tool) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, tool)).filter(Files::isExecutable).findFirst().orElse(null);
    }

    private Result run(String... command) throws Exception {
        return run(new ProcessBuilder(command));
    }

    private Result run(ProcessBuilder builder) throws Exception {
        List<String> command = builder.command();
        Path log = Files.createTempFile(tmp, "out", ".txt");
        Process p = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) { // a safety net against a hung client, not an assertion
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish:\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private Result ok(String... command) throws Exception {
        Result r = run(command);
        assertEquals(0, r.exit(), String.join(" ", command) + "\n" + r.output());
        return r;
    }

    @Test
    void nbdinfoMapShowsBaseAllocationAsOneDataExtentOverTheWholeDisk() throws Exception {
        assumeTool("nbdinfo");
        String out = ok("nbdinfo", "--map", fx.uri("disk")).output();
        List<String[]> rows = out.lines().map(String::strip).filter(l -> !l.isEmpty()).map(l -> l.split("\\s+"))
                .toList();
        assertEquals(1, rows.size(), out);
        assertEquals(List.of("0", String.valueOf(Fixture.CAPACITY), "0", "data"), List.of(rows.get(0)),
                "offset, length, base:allocation flags 0 (allocated, not known zero)\n" + out);
    }

    @Test
    void nbdinfoJsonShowsStructuredRepliesAndTheBaseAllocationContext() throws Exception {
        assumeTool("nbdinfo");
        String out = ok("nbdinfo", "--json", fx.uri("disk")).output();
        com.google.gson.JsonObject info = com.google.gson.JsonParser.parseString(out).getAsJsonObject();
        com.google.gson.JsonObject export = info.getAsJsonArray("exports").get(0).getAsJsonObject();
        assertTrue(export.getAsJsonArray("contexts").contains(new com.google.gson.JsonPrimitive("base:allocation")),
                out);
        assertTrue(info.get("protocol").getAsString().contains("newstyle-fixed"), out);
        assertTrue(export.get("can_df").getAsBoolean() && export.get("can_fast_zero").getAsBoolean(), out);
    }

    @Test
    void qemuImgMapSeesTheWholeDiskAsData() throws Exception {
        assumeTool("qemu-img");
        String out = ok("qemu-img", "map", "--output=json", "-f", "raw", fx.uri("disk")).output();
        com.google.gson.JsonArray map = com.google.gson.JsonParser.parseString(out).getAsJsonArray();
        long covered = 0;
        for (com.google.gson.JsonElement e : map) {
            com.google.gson.JsonObject extent = e.getAsJsonObject();
            assertEquals(covered, extent.get("start").getAsLong(), out);
            assertTrue(extent.get("data").getAsBoolean() && !extent.get("zero").getAsBoolean(), out);
            covered += extent.get("length").getAsLong();
        }
        assertEquals(Fixture.CAPACITY, covered, out);
    }

    @Test
    void nbdshScriptExercisesStructuredRepliesBlockStatusAndRefusalsAtTheEndOfTheDisk() throws Exception {
        assumeTool("nbdsh");
        Path script = tmp.resolve("nbdsh-edge-cases.py");
        try (var in = NbdRealClientTest.class.getResourceAsStream("nbdsh-edge-cases.py")) {
            Files.copy(in, script);
        }
        ProcessBuilder pb = new ProcessBuilder("nbdsh", "-n", "-c",
                "exec(open(" + pythonString(script.toString()) + ").read())");
        pb.environment().put("NBD_TEST_URI", fx.uri("disk"));
        pb.environment().put("NBD_TEST_SIZE", String.valueOf(Fixture.CAPACITY));
        // nbdsh runs "python3" from the PATH: the one it was packaged for sits beside it, not a user's own.
        pb.environment().put("PATH", toolPath("nbdsh").getParent() + File.pathSeparator + System.getenv("PATH"));
        Result r = run(pb);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().strip().endsWith("edge cases passed"), r.output());
        byte[] expected = new byte[3 << 20];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
        }
        assertArrayEquals(Arrays.copyOf(expected, 65536), fx.backend.peek(3 << 20, 65536),
                "the script's last write is in the backend");
    }

    private static String pythonString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @Test
    void nbdinfoReportsTheExportSizeAndBlockSizes() throws Exception {
        assumeTool("nbdinfo");
        String out = ok("nbdinfo", fx.uri("disk")).output();
        assertTrue(out.contains("export-size: " + Fixture.CAPACITY), out);
        assertTrue(out.contains("block_size_minimum: 512"), out);
        assertTrue(out.contains("block_size_preferred: 4096"), out);
        assertTrue(out.contains("block_size_maximum: " + (1 << 20)), out);
        assertTrue(out.contains("can_flush: true") && out.contains("can_fua: true")
                && out.contains("can_trim: true") && out.contains("can_zero: true")
                && out.contains("can_multi_conn: true"), out);
        String other = ok("nbdinfo", fx.uri("other")).output();
        assertTrue(other.contains("block_size_minimum: 4096"), other);
    }

    @Test
    void nbdinfoListsEveryExport() throws Exception {
        assumeTool("nbdinfo");
        String out = ok("nbdinfo", "--list", "nbd://127.0.0.1:" + fx.port()).output();
        assertTrue(out.contains("export=\"disk\"") && out.contains("export=\"other\""), out);
    }

    @Test
    void nbdinfoReachesTheExportOverTheUnixSocket() throws Exception {
        assumeTool("nbdinfo");
        Path socket = tmp.resolve("nbd.sock");
        fx.server.listenUnix(socket);
        assertTrue(fx.server.endpoints().contains("nbd+unix:///?socket=" + socket), fx.server.endpoints().toString());
        String out = ok("nbdinfo", "--size", "nbd+unix:///disk?socket=" + socket).output();
        assertEquals(String.valueOf(Fixture.CAPACITY), out.strip());
    }

    @Test
    void qemuIoWritesAndReadsBackPatternsThroughTheFilterStack() throws Exception {
        assumeTool("qemu-io");
        String out = ok("qemu-io", "-f", "raw",
                "-c", "write -P 0xab 0 64k",
                "-c", "write -f -P 0xcd 1m 128k",
                "-c", "read -P 0xab 0 64k",
                "-c", "read -P 0xcd 1m 128k",
                "-c", "flush",
                "-c", "discard 4m 1m",
                "-c", "write -z 64k 64k",
                "-c", "read -P 0 64k 64k",
                "-c", "aio_write -P 0x11 8m 4k",
                "-c", "aio_write -P 0x22 9m 4k",
                "-c", "aio_flush",
                "-c", "read -P 0x22 9m 4k",
                fx.uri("disk")).output();
        assertFalse(out.contains("Pattern verification failed") || out.contains("error") || out.contains("failed"),
                out);
        byte[] expected = new byte[64 << 10];
        Arrays.fill(expected, (byte) 0xab);
        assertArrayEquals(expected, fx.backend.peek(0, expected.length));
        assertArrayEquals(new byte[64 << 10], fx.backend.peek(64 << 10, 64 << 10));
        assertTrue(fx.writesSeen.get() >= 4, "the writes went through the filter: " + fx.writesSeen.get());
    }

    @Test
    void qemuIoReadOfAPatternThatIsNotThereFails() throws Exception {
        assumeTool("qemu-io");
        Result r = run("qemu-io", "-f", "raw", "-c", "read -P 0x77 0 4k", fx.uri("disk"));
        assertTrue(r.output().contains("Pattern verification failed"), r.output());
    }

    @Test
    void nbdcopyCopiesARandomFileInAndOutByteForByte() throws Exception {
        assumeTool("nbdcopy");
        byte[] data = new byte[(int) Fixture.CAPACITY];
        new Random(2024).nextBytes(data);
        Path in = tmp.resolve("in.bin");
        Path out = tmp.resolve("out.bin");
        Files.write(in, data);
        ok("nbdcopy", "--flush", in.toString(), fx.uri("disk"));
        assertArrayEquals(Arrays.copyOfRange(data, 0, 1 << 20), fx.backend.peek(0, 1 << 20));
        ok("nbdcopy", fx.uri("disk"), out.toString());
        assertTrue(Arrays.equals(data, Files.readAllBytes(out)), "the copy out equals the copy in");
    }

    @Test
    void qemuImgCompareFindsTheDiskIdenticalToTheFileWrittenIntoIt() throws Exception {
        assumeTool("qemu-img");
        byte[] data = new byte[(int) Fixture.CAPACITY];
        new Random(7).nextBytes(data);
        Arrays.fill(data, 1 << 20, 3 << 20, (byte) 0); // a zero run for qemu-img to write as zeroes
        Path file = tmp.resolve("image.raw");
        Files.write(file, data);
        ok("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", file.toString(), fx.uri("disk"));
        String out = ok("qemu-img", "compare", "-f", "raw", "-F", "raw", file.toString(), fx.uri("disk")).output();
        assertTrue(out.contains("Images are identical"), out);
        Files.write(file, new byte[] {(byte) (data[0] ^ 0xff)}, java.nio.file.StandardOpenOption.WRITE);
        Result differ = run("qemu-img", "compare", "-f", "raw", "-F", "raw", file.toString(), fx.uri("disk"));
        assertEquals(1, differ.exit(), differ.output());
    }

    @Test
    void fioVerifiesEveryBlockItWroteThroughTheNbdEngine() throws Exception {
        assumeTool("fio");
        Result r = ok("fio", "--name=verify", "--ioengine=nbd", "--uri=" + fx.uri("disk"), "--rw=randwrite",
                "--bs=4k", "--iodepth=16", "--size=" + Fixture.CAPACITY, "--verify=crc32c", "--do_verify=1",
                "--verify_fatal=1", "--output-format=terse", "--terse-version=3");
        // terse v3: field 5 is the total error count
        String[] fields = r.output().lines().filter(l -> l.startsWith("3;")).findFirst()
                .orElseThrow(() -> new AssertionError("no terse result line:\n" + r.output())).split(";");
        assertEquals("0", fields[4], r.output());
    }

    @Test
    void manyQemuIoClientsOnTwoDisksAtOnceAllSucceed() throws Exception {
        assumeTool("qemu-io");
        List<Process> procs = new java.util.ArrayList<>();
        List<Path> logs = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String export = i % 2 == 0 ? "disk" : "other";
            String at = (i * 1024) + "k";
            Path log = tmp.resolve("qemu-io-" + i + ".txt");
            logs.add(log);
            procs.add(new ProcessBuilder("qemu-io", "-f", "raw", "-c", "write -P " + (i + 1) + " " + at + " 256k",
                    "-c", "read -P " + (i + 1) + " " + at + " 256k", fx.uri(export))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start());
        }
        for (int i = 0; i < procs.size(); i++) {
            assertTrue(procs.get(i).waitFor(5, TimeUnit.MINUTES));
            String out = Files.readString(logs.get(i));
            assertEquals(0, procs.get(i).exitValue(), out);
            assertFalse(out.contains("Pattern verification failed"), out);
        }
    }
}
