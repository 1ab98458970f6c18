package io.weir.deploy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The pipeline's certification step: {@code weir certify} on the staged bundle, in a child JVM of its own, so a
 * filter that crashes, hangs or exhausts memory while it is being certified harms nothing in the runtime. The
 * reports (JSON, JUnit XML, HTML per filter) stay beside the stored bundle, bound to its SHA-256.
 */
final class Certification {
    private static final System.Logger LOG = System.getLogger(Certification.class.getName());

    /** What the kit decided. */
    record Outcome(boolean passed, List<String> lines) {
    }

    private final String java;
    private final String launcherJar;
    private final long budgetMillis;
    private final long timeoutMillis;

    /**
     * @param java the java executable, or null when this runtime was not started by the weir launcher
     * @param launcherJar weir.jar, or null (then every bundle is refused: uncertified)
     */
    Certification(String java, String launcherJar, long budgetMillis, long timeoutMillis) {
        this.java = java;
        this.launcherJar = launcherJar;
        this.budgetMillis = budgetMillis;
        this.timeoutMillis = timeoutMillis;
    }

    boolean available() {
        return java != null && launcherJar != null && Files.isRegularFile(Path.of(launcherJar));
    }

    /** Certify {@code jar} with the filter settings {@code settings}; the reports go to {@code reportDir} (replaced). */
    Outcome certify(Path jar, Path reportDir, java.util.Map<String, String> settings) {
        if (!available()) {
            return new Outcome(false, List.of("certification: the certification kit is not available to this runtime"
                    + " (it runs through the weir launcher; framework properties weir.launcher.java and weir.launcher.jar)"));
        }
        List<String> command = new ArrayList<>(List.of(java, "-jar", launcherJar, "certify", "--report-dir",
                reportDir.toString(), "--budget", budgetMillis + "ms"));
        new java.util.TreeMap<>(settings).forEach((k, v) -> {
            command.add("--config");
            command.add(k + "=" + v);
        });
        command.add(jar.toString());
        Path log = reportDir.resolve("certify.log");
        try {
            Registry.deleteTree(reportDir);
            Files.createDirectories(reportDir);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Outcome(false, List.of("certification: did not finish within " + timeoutMillis / 1000
                        + " s; see " + log));
            }
            List<String> lines = new ArrayList<>();
            boolean passed = p.exitValue() == 0;
            boolean anyReport = false;
            try (Stream<Path> dirs = Files.list(reportDir)) {
                for (Path report : dirs.map(d -> d.resolve("report.json")).filter(Files::isRegularFile).sorted().toList()) {
                    anyReport = true;
                    lines.addAll(summarise(report));
                }
            }
            if (!anyReport) {
                passed = false;
                String output = Files.readString(log, StandardCharsets.UTF_8).strip();
                lines.add("certification: no report (exit code " + p.exitValue() + "): "
                        + (output.isEmpty() ? "no output" : output.lines().reduce((a, b) -> b).orElse("")));
            }
            return new Outcome(passed, lines);
        } catch (IOException e) {
            return new Outcome(false, List.of("certification: cannot run the kit: " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, List.of("certification: interrupted"));
        }
    }

    /**
     * The lines of a passing certification kept from an earlier run for exactly these bytes, or empty when there is
     * none (no report, another SHA-256, a failed check): then the bundle must be certified again.
     */
    static List<String> stored(Path reportDir, String sha256) {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(reportDir)) {
            for (Path report : dirs.map(d -> d.resolve("report.json")).filter(Files::isRegularFile).sorted().toList()) {
                JsonObject r = JsonParser.parseString(Files.readString(report, StandardCharsets.UTF_8)).getAsJsonObject();
                if (!sha256.equals(r.get("bundleSha256").getAsString()) || !r.get("passed").getAsBoolean()) {
                    return List.of();
                }
                lines.add("certification: " + r.get("filterName").getAsString() + " passed on "
                        + r.get("started").getAsString() + " for these exact bytes; report " + report.resolveSibling("report.html"));
            }
        } catch (IOException | RuntimeException e) {
            return List.of(); // unreadable or partial: certify again
        }
        return lines;
    }

    /** One line for a certified filter; one per failed required check otherwise. */
    private static List<String> summarise(Path reportFile) throws IOException {
        JsonObject report = JsonParser.parseString(Files.readString(reportFile, StandardCharsets.UTF_8)).getAsJsonObject();
        String filter = report.get("filterName").getAsString();
        List<String> out = new ArrayList<>();
        int checks = 0;
        for (JsonElement e : report.getAsJsonArray("checks")) {
            JsonObject c = e.getAsJsonObject();
            checks++;
            if (c.get("required").getAsBoolean() && "FAIL".equals(c.get("verdict").getAsString())) {
                var evidence = c.getAsJsonArray("evidence");
                out.add("certification: " + filter + ": " + c.get("id").getAsString() + " failed: "
                        + c.get("sentence").getAsString()
                        + (evidence == null || evidence.isEmpty() ? "" : " (" + evidence.get(0).getAsString() + ")"));
            }
        }
        if (out.isEmpty()) {
            out.add("certification: " + filter + " passed " + checks + " checks; report " + reportFile.resolveSibling("report.html"));
        }
        LOG.log(System.Logger.Level.INFO, String.join("; ", out));
        return out;
    }
}
