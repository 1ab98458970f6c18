package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

class CommandLineTest {
    @TempDir
    Path emptyDataDir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int weir(String... args) {
        return Weir.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static <T> T leaf(ParseResult r, Class<T> type) {
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return type.cast(r.commandSpec().userObject());
    }

    private static ParseResult parse(String... args) {
        return Weir.commandLine(System.out, System.err).parseArgs(args);
    }

    private void assertOneErrorLine(String... words) {
        String e = stderr();
        List<String> lines = e.lines().toList();
        assertEquals(1, lines.size(), "exactly one line on stderr: " + e);
        assertTrue(lines.get(0).startsWith("weir: "), e);
        for (String w : words) {
            assertTrue(lines.get(0).contains(w), "'" + lines.get(0) + "' should mention '" + w + "'");
        }
    }

    @Test
    void diskCreateTakesNameSizeBlockSizeBackendAndOptions() {
        DiskCommand.Create c = leaf(parse("disk", "create", "d1", "--size", "1G", "--block-size", "4096", "--backend", "memory",
                "--option", "path=/x", "--option", "k=v=w", "--data-dir", "/d"), DiskCommand.Create.class);
        assertEquals("d1", c.name);
        assertEquals(1L << 30, c.size);
        assertEquals(4096, c.blockSize);
        assertEquals("memory", c.backend);
        assertEquals(Map.of("path", "/x", "k", "v=w"), c.options);
        assertEquals(Path.of("/d"), c.dataDir.resolve());
    }

    @Test
    void diskCreateDefaultsToFileBackendAnd512ByteBlocks() {
        DiskCommand.Create c = leaf(parse("disk", "create", "d1", "--size", "64M"), DiskCommand.Create.class);
        assertEquals(512, c.blockSize);
        assertEquals("file", c.backend);
        assertTrue(c.options.isEmpty());
    }

    @Test
    void ioDefaultsMatchTheDocumentedOnes() {
        IoCommand io = leaf(parse("io"), IoCommand.class);
        assertEquals("demo", io.disk);
        assertEquals("random", io.pattern);
        assertEquals(70, io.readPct);
        assertEquals(4096, io.bs);
        assertEquals(32, io.qd);
        assertNull(io.timeMs);
        assertNull(io.bytes);
        assertFalse(io.verify);
        assertNull(io.seed);
    }

    @Test
    void ioTakesEveryKnob() {
        IoCommand io = leaf(parse("io", "--disk", "d1", "--pattern", "sequential", "--read-pct", "0", "--bs", "64K", "--qd", "8",
                "--time", "2s", "--verify", "--seed", "9", "--offset", "1M", "--length", "8M", "--no-progress", "--json"),
                IoCommand.class);
        assertEquals("d1", io.disk);
        assertEquals(65536, io.bs);
        assertEquals(2000L, io.timeMs);
        assertEquals(1L << 20, io.offset);
        assertEquals(8L << 20, io.length);
        assertEquals(9L, io.seed);
        assertEquals(Boolean.FALSE, io.progress);
        assertTrue(io.verify && io.json);
    }

    @Test
    void filterAttachTakesDiskFilterAndConfig() {
        FilterCommand.Attach a = leaf(parse("filter", "attach", "demo", "cache", "--config", "mode=writeback", "--config", "size=1G"),
                FilterCommand.Attach.class);
        assertEquals("demo", a.disk);
        assertEquals("cache", a.filter);
        assertEquals(Map.of("mode", "writeback", "size", "1G"), a.config);
    }

    @Test
    void runTakesDataDirAndNoDemo() {
        RunCommand r = leaf(parse("run", "--data-dir", "/x", "--no-demo"), RunCommand.class);
        assertTrue(r.noDemo);
        assertEquals(Path.of("/x"), r.dataDir.resolve());
    }

    @Test
    void garbageSizeIsAUsageErrorNamingTheValue() {
        assertEquals(ExitCode.USAGE, weir("disk", "create", "d1", "--size", "12Q", "--data-dir", emptyDataDir.toString()));
        assertOneErrorLine("'12Q' is not a size", "--size", "weir disk create --help");
    }

    @Test
    void missingSizeIsAUsageError() {
        assertEquals(ExitCode.USAGE, weir("disk", "create", "d1"));
        assertOneErrorLine("--size");
    }

    @Test
    void badBlockSizeIsAUsageErrorBeforeAnyConnection() {
        assertEquals(ExitCode.USAGE, weir("disk", "create", "d1", "--size", "1M", "--block-size", "1024", "--data-dir",
                emptyDataDir.toString()));
        assertOneErrorLine("--block-size must be 512 or 4096, got 1024");
    }

    @Test
    void timeAndBytesTogetherAreAUsageError() {
        assertEquals(ExitCode.USAGE, weir("io", "--time", "1s", "--bytes", "1M", "--data-dir", emptyDataDir.toString()));
        assertOneErrorLine("--time or --bytes, not both");
    }

    @Test
    void readPercentageOutOfRangeIsAUsageError() {
        assertEquals(ExitCode.USAGE, weir("io", "--read-pct", "101", "--data-dir", emptyDataDir.toString()));
        assertOneErrorLine("--read-pct must be between 0 and 100, got 101");
    }

    @Test
    void unknownCommandAndMissingCommandAreUsageErrors() {
        assertEquals(ExitCode.USAGE, weir("bogus"));
        assertOneErrorLine("bogus");
        err.reset();
        assertEquals(ExitCode.USAGE, weir());
        assertOneErrorLine("missing command");
        err.reset();
        assertEquals(ExitCode.USAGE, weir("disk"));
        assertOneErrorLine("missing disk command");
    }

    @Test
    void commandsWithoutARuntimeExitThreeWithOneLine() {
        for (String[] args : new String[][] {{"status"}, {"disk", "list"}, {"disk", "info", "x"}, {"filter", "list"}, {"io"}, {"stop"}}) {
            err.reset();
            String[] withDir = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                    java.util.stream.Stream.of("--data-dir", emptyDataDir.toString())).toArray(String[]::new);
            assertEquals(ExitCode.NOT_REACHABLE, weir(withDir), String.join(" ", args));
            assertOneErrorLine("no runtime is running for data dir " + emptyDataDir, "weir run");
        }
    }

    @Test
    void helpAndVersionExitZero() {
        assertEquals(0, weir("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("disk"));
        out.reset();
        assertEquals(0, weir("--version"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("weir "));
        assertEquals(0, weir("io", "--help"));
    }

    @Test
    void everyCommandOfTheContractExists() {
        CommandLine cl = Weir.commandLine(System.out, System.err);
        assertTrue(cl.getSubcommands().keySet().containsAll(List.of("run", "disk", "filter", "status", "io", "stop")));
        assertTrue(cl.getSubcommands().get("disk").getSubcommands().keySet().containsAll(List.of("create", "list", "info", "grow", "delete")));
        assertTrue(cl.getSubcommands().get("filter").getSubcommands().keySet().containsAll(List.of("list", "attach", "detach")));
    }
}
