package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Runs the built {@code weir.jar} as a user would: {@code weir run} in a child JVM over a fresh data directory,
 * and every other command as a child JVM of its own. Waits are bounded only to keep a broken build from
 * hanging; nothing asserts on how long anything took.
 */
abstract class WeirProcessTest {
    static final long CERTIFICATION_BUDGET_MILLIS = 200;
    static final long PATIENCE_SECONDS = 180;

    final List<Process> runtimes = new ArrayList<>();
    Path dataDir;

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

    static Path jar() {
        Path jar = Path.of(System.getProperty("weir.jar", "target/weir.jar"));
        assertTrue(Files.isRegularFile(jar), "build the launcher first: " + jar + " is missing");
        return jar;
    }

    static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        // the deploy pipeline's certification: a short budget per check keeps these tests quick
        cmd.add("-Dweir.certification.budget=" + CERTIFICATION_BUDGET_MILLIS);
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** Start {@code weir run} and wait for its ready line; returns the process and that line. */
    Process startRuntime(Path log, String... runOptions) throws Exception {
        return startRuntimeAt(dataDir, log, runOptions);
    }

    /** Start {@code weir run} on another data directory (a second runtime) and wait for its ready line. */
    Process startRuntimeAt(Path data, Path log, String... runOptions) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--data-dir", data.toString()));
        args.addAll(Arrays.asList(runOptions));
        ProcessBuilder pb = new ProcessBuilder(java(args.toArray(String[]::new)));
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

    static String readyLine(Path log) throws IOException {
        return Files.readString(log).lines().filter(l -> l.contains(" ready: ")).findFirst().orElseThrow();
    }

    /** Run one weir command with {@code --data-dir} appended and wait for it. */
    Result weir(String... args) throws Exception {
        return weirWith(Map.of(), args);
    }

    /** Run one weir command with {@code --data-dir} appended and these environment variables, and wait for it. */
    Result weirWith(Map<String, String> env, String... args) throws Exception {
        return weirAt(dataDir, env, args);
    }

    /** Run one weir command against the runtime of {@code data}, with these environment variables, and wait for it. */
    Result weirAt(Path data, Map<String, String> env, String... args) throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--data-dir");
        a.add(data.toString());
        return finish(start(env, a.toArray(String[]::new)));
    }

    Process start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    Process start(Map<String, String> env, String... args) throws IOException {
        Path out = Files.createTempFile(dataDir, "out", ".txt");
        Path err = Files.createTempFile(dataDir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(java(args));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        pb.environment().remove(DataDirOption.ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        outputs.put(p, new Path[] {out, err});
        return p;
    }

    final java.util.Map<Process, Path[]> outputs = new java.util.HashMap<>();

    Result finish(Process p) throws Exception {
        if (!p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("command did not finish");
        }
        Path[] o = outputs.get(p);
        return new Result(p.exitValue(), Files.readString(o[0]), Files.readString(o[1]));
    }

    static void assertOk(Result r) {
        assertEquals(0, r.exit, "exit code; stdout:\n" + r.out + "\nstderr:\n" + r.err);
    }

    JsonArray diskList() throws Exception {
        Result r = weir("disk", "list", "--json");
        assertOk(r);
        return JsonParser.parseString(r.out).getAsJsonArray();
    }

    static List<String> ids(JsonArray disks) {
        List<String> ids = new ArrayList<>();
        for (JsonElement d : disks) {
            ids.add(d.getAsJsonObject().get("id").getAsString());
        }
        return ids;
    }

    static String state(JsonArray disks, String id) {
        for (JsonElement d : disks) {
            if (d.getAsJsonObject().get("id").getAsString().equals(id)) {
                return d.getAsJsonObject().get("state").getAsString();
            }
        }
        return "absent";
    }

    /** The python that has the libnbd binding (the system's, when the PATH's lacks it), or null. */
    static String python() throws InterruptedException {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import nbd").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException absent) {
                // try the next
            }
        }
        return null;
    }

    /** One admin request over the runtime's socket, in this process. */
    com.google.gson.JsonObject admin(com.google.gson.JsonObject request) throws Exception {
        try (AdminClient c = AdminClient.connect(dataDir)) {
            return c.call(request, null);
        }
    }

    /** Wait until a client's requests reach {@code disk} (over a thousand completed). */
    void awaitGuestIo(String disk) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (System.nanoTime() < end) {
            com.google.gson.JsonObject req = AdminClient.op("disk.info");
            req.addProperty("id", disk);
            if (admin(req).getAsJsonObject("disk").getAsJsonObject("stats").get("completed").getAsLong() > 1000) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the NBD client's requests never reached disk " + disk);
    }

    static void deleteTree(Path dir) throws IOException {
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
