package io.weir.cli;

import java.io.PrintWriter;
import java.util.Locale;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir io}: the load generator, run inside the runtime against a disk. Exits 1 when any request failed
 * or, with {@code --verify}, any byte read back differed from what was written.
 */
@Command(name = "io", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a workload against a disk inside the runtime and report IOPS, throughput and latency.",
            "With --verify every write carries self-checking data for (block, generation, seed) and every read is",
            "checked byte for byte; reads only go to blocks this run has written. Exits 1 on any I/O error or mismatch."})
final class IoCommand extends ClientCommand {
    @Option(names = "--disk", paramLabel = "NAME", defaultValue = "demo", description = "Disk to drive (default: ${DEFAULT-VALUE}).")
    String disk;

    @Option(names = "--pattern", paramLabel = "random|sequential", defaultValue = "random",
            description = "Where requests go (default: ${DEFAULT-VALUE}).")
    String pattern;

    @Option(names = "--read-pct", paramLabel = "0-100", defaultValue = "70", description = "Share of reads (default: ${DEFAULT-VALUE}).")
    int readPct;

    @Option(names = "--bs", paramLabel = "SIZE", defaultValue = "4K", converter = Converters.Size.class,
            description = "Bytes per request, a multiple of the disk's block size (default: ${DEFAULT-VALUE}).")
    long bs;

    @Option(names = "--qd", paramLabel = "1-1024", defaultValue = "32", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
    int qd;

    @Option(names = "--time", paramLabel = "DURATION", converter = Converters.DurationMillis.class,
            description = "How long to run, e.g. 10s or 2m (default: 10s unless --bytes).")
    Long timeMs;

    @Option(names = "--bytes", paramLabel = "SIZE", converter = Converters.Size.class, description = "How much to transfer instead, e.g. 1G.")
    Long bytes;

    @Option(names = "--offset", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "0",
            description = "Start of the region to use (default: 0).")
    long offset;

    @Option(names = "--length", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "0",
            description = "Length of the region (default: the rest of the disk).")
    long length;

    @Option(names = "--verify", description = "Write self-checking data and check every byte read back.")
    boolean verify;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the data and request sequence (default: random, reported).")
    Long seed;

    @Option(names = "--progress", negatable = true, description = "Print a progress line every second (default: when on a terminal).")
    Boolean progress;

    @Option(names = "--json", description = "Print the result as JSON for scripts.")
    boolean json;

    @Override
    public Integer call() throws WeirException {
        if (!pattern.equalsIgnoreCase("random") && !pattern.equalsIgnoreCase("sequential")) {
            throw usage("--pattern must be random or sequential, got '" + pattern + "'");
        }
        if (readPct < 0 || readPct > 100) {
            throw usage("--read-pct must be between 0 and 100, got " + readPct);
        }
        if (qd < 1 || qd > 1024) {
            throw usage("--qd must be between 1 and 1024, got " + qd);
        }
        if (bs <= 0 || bs > Integer.MAX_VALUE) {
            throw usage("--bs must be between 1 byte and 2G, got " + bs);
        }
        if (timeMs != null && bytes != null) {
            throw usage("give --time or --bytes, not both");
        }
        if (bytes != null && bytes <= 0) {
            throw usage("--bytes must be positive");
        }
        JsonObject req = AdminClient.op("io");
        req.addProperty("disk", disk);
        req.addProperty("pattern", pattern.toLowerCase(Locale.ROOT));
        req.addProperty("readPct", readPct);
        req.addProperty("bs", bs);
        req.addProperty("qd", qd);
        if (bytes != null) {
            req.addProperty("bytes", bytes);
        } else {
            req.addProperty("timeMs", timeMs == null ? 10_000 : timeMs);
        }
        req.addProperty("offset", offset);
        req.addProperty("length", length);
        req.addProperty("verify", verify);
        if (seed != null) {
            req.addProperty("seed", seed);
        }
        req.addProperty("progress", true); // also tells the runtime when this client goes away
        boolean show = !json && (progress != null ? progress : System.console() != null);
        PrintWriter out = out();
        JsonObject result;
        try {
            result = call(req, show ? p -> printProgress(out, p) : null).getAsJsonObject("result");
        } catch (AdminClient.RemoteException e) {
            JsonObject response = e.response();
            if (response != null && response.has("result")) {
                print(out, response.getAsJsonObject("result"));
            }
            throw e;
        }
        print(out, result);
        return ExitCode.OK;
    }

    private void print(PrintWriter out, JsonObject r) {
        if (json) {
            printJson(r);
            return;
        }
        JsonObject lat = r.getAsJsonObject("latencyUs");
        String[][] lines = {
            {"disk", Render.str(r, "disk") + ": " + Render.str(r, "pattern") + ", " + Render.num(r, "readPct") + "% reads, bs "
                + Sizes.format(Render.num(r, "bs")) + ", qd " + Render.num(r, "qd") + ", region "
                + Sizes.format(Render.num(r, "regionLength")) + " at " + Render.num(r, "regionOffset") + ", verify "
                + (r.get("verify").getAsBoolean() ? "on" : "off") + ", seed " + Render.num(r, "seed")},
            {"elapsed", String.format(Locale.ROOT, "%.2f s", r.get("elapsedMs").getAsDouble() / 1000)},
            {"ops", Render.num(r, "ops") + " (" + Render.num(r, "reads") + " reads, " + Render.num(r, "writes") + " writes)"},
            {"IOPS", String.format(Locale.ROOT, "%.1f", r.get("iops").getAsDouble())},
            {"MB/s", String.format(Locale.ROOT, "%.1f (%s read, %s written)", r.get("mbPerSec").getAsDouble(),
                Sizes.format(Render.num(r, "bytesRead")), Sizes.format(Render.num(r, "bytesWritten")))},
            {"latency", String.format(Locale.ROOT, "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s (us)", us(lat, "p50"),
                us(lat, "p90"), us(lat, "p99"), us(lat, "p99.9"), us(lat, "max"))},
            {"errors", String.valueOf(Render.num(r, "errors"))},
            {"verify", r.get("verify").getAsBoolean()
                ? Render.num(r, "verifyFailures") + " failures in " + Render.num(r, "verifiedReads") + " reads checked"
                : "off"},
        };
        for (String[] l : lines) {
            out.printf("%-9s %s%n", l[0], l[1]);
        }
        if (r.get("flushed") != null && r.get("flushed").getAsBoolean()) {
            out.printf("%-9s %s%n", "flush", "done");
        }
        String early = Render.str(r, "stoppedEarly");
        if (!early.isEmpty()) {
            out.printf("%-9s %s%n", "stopped", early);
        }
        JsonArray problems = r.getAsJsonArray("problems");
        if (problems != null && !problems.isEmpty()) {
            out.println("first problems:");
            for (JsonElement p : problems) {
                out.println("  " + p.getAsString());
            }
        }
        out.flush();
    }

    private static String us(JsonObject lat, String key) {
        return String.format(Locale.ROOT, "%.1f", lat.get(key).getAsDouble());
    }

    private static void printProgress(PrintWriter out, JsonObject p) {
        out.printf(Locale.ROOT, "%6.1fs  %10d ops  %10.1f IOPS  %8.1f MB/s  %d errors  %d verify failures%n",
                p.get("elapsedMs").getAsDouble() / 1000, p.get("ops").getAsLong(), p.get("iops").getAsDouble(),
                p.get("mbPerSec").getAsDouble(), p.get("errors").getAsLong(), p.get("verifyFailures").getAsLong());
        out.flush();
    }
}
