package io.weir.backend.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.weir.backend.Backend;
import io.weir.backend.BackendSpec;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills a writer process with SIGKILL in the middle of its stream and checks that every block it had
 * acknowledged as durable is in the file.
 *
 * <p>This checks a process crash, not a power loss: data the killed process had handed to the kernel survives
 * in the page cache either way, so it proves that the backend acknowledges only completed writes and keeps
 * nothing of its own in volatile buffers, not that fdatasync reached the medium.
 */
class FileBackendCrashTest {
    private static final long CAPACITY = 64L << 20;
    private static final int KILL_AFTER = 300;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fua", "flush"})
    void everyAcknowledgedWriteSurvivesAKilledProcess(String mode) throws Exception {
        String classpath = Stream.of(FileBackend.class, CrashWriter.class, IoRequest.class, Backend.class)
                .map(c -> Path.of(toUri(c)).toString())
                .distinct()
                .collect(Collectors.joining(File.pathSeparator));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path disk = Files.createDirectory(dir.resolve("disk"));
        Path acks = dir.resolve("acks.txt");
        Process child = new ProcessBuilder(java, "-cp", classpath, CrashWriter.class.getName(),
                disk.toString(), Long.toString(CAPACITY), mode)
                .redirectOutput(acks.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            // Poll the acknowledgements the writer has printed so far; kill it once there are enough.
            long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (child.isAlive() && acknowledged(acks).size() < KILL_AFTER && System.nanoTime() < giveUp) {
                Thread.sleep(5);
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the writer process did not end");
        }
        // Every line the writer printed before it died is in the file: acknowledged means durable.
        TreeSet<Integer> acked = acknowledged(acks);
        List<String> lines = Files.readAllLines(acks, StandardCharsets.US_ASCII);
        assertTrue(acked.size() >= KILL_AFTER, "the writer ended or stalled before it was killed, exit "
                + child.exitValue() + ", after " + acked.size() + " acknowledgements");
        assertFalse(lines.contains("DONE"), "the writer finished its whole stream before the kill");

        try (FileBackend backend = FileBackend.open(new BackendSpec("crash", CAPACITY, CrashWriter.BLOCK, disk, Map.of()))) {
            for (int n : acked) {
                ByteBuffer buffer = ByteBuffer.allocate(CrashWriter.BLOCK);
                CompletableFuture<IoStatus> read = new CompletableFuture<>();
                backend.submit(IoRequest.read(n, (long) n * CrashWriter.BLOCK, buffer), read::complete);
                IoStatus status = read.get(1, TimeUnit.MINUTES);
                assertTrue(status.isOk(), status::toString);
                assertArrayEquals(CrashWriter.content(n), buffer.array(), "acknowledged block " + n + " is missing");
            }
        }
    }

    private static TreeSet<Integer> acknowledged(Path acks) throws IOException {
        TreeSet<Integer> acked = new TreeSet<>();
        String text = Files.readString(acks, StandardCharsets.US_ASCII);
        // Only whole lines count: a line still being written has no newline yet.
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
            if (line.startsWith("ACK ")) {
                acked.add(Integer.parseInt(line.substring(4)));
            }
        }
        return acked;
    }

    private static URI toUri(Class<?> type) {
        try {
            return type.getProtectionDomain().getCodeSource().getLocation().toURI();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
