package io.weir.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.weir.certification.Candidate;
import io.weir.certification.CheckResult;
import io.weir.certification.Certifier;
import io.weir.certification.ProgressListener;
import io.weir.certification.Report;
import io.weir.certification.ReportWriter;
import io.weir.certification.Verdict;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code weir certify}: run the certification kit on the filters of a bundle, hosted in a framework of their own,
 * and write the report (JSON, JUnit XML, HTML) bound to the bundle's SHA-256.
 */
@Command(name = "certify", mixinStandardHelpOptions = true,
        description = {"Certify the filters of a bundle: ordering, exactly-once completion, data integrity, FLUSH/FUA"
                + " durability through power loss, acknowledgement semantics, error propagation, control events,"
                + " non-blocking behaviour, deadlines and overhead.",
            "Writes <report-dir>/<filter>/report.json, report.xml (JUnit) and report.html; exit code 0 only when every"
                + " required check of every filter passes."})
final class CertifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE.jar")
    Path bundle;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Filter configuration for the kit's disks; repeat for more.")
    Map<String, String> config = new LinkedHashMap<>();

    @Option(names = "--filter", paramLabel = "NAME", description = "Certify only this filter of the bundle.")
    String filter;

    @Option(names = "--report-dir", paramLabel = "DIR", defaultValue = "weir-certification",
            description = "Where the reports go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--seed", description = "Seed of the randomized checks (default: random, printed).")
    Long seed;

    @Option(names = "--budget", paramLabel = "DURATION", converter = Converters.DurationMillis.class, defaultValue = "2s",
            description = "Time budget of each check, e.g. 500ms (default: ${DEFAULT-VALUE}).")
    long budgetMillis;

    @Option(names = "--overhead-budget", paramLabel = "RATIO",
            description = "Fail when the filter is slower than a pass-through by more than this ratio (default: informational).")
    Double overheadBudget;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws WeirException, InterruptedException {
        if (!Files.isRegularFile(bundle)) {
            throw new WeirException(ExitCode.USAGE, bundle + " is not a file");
        }
        PrintWriter out = spec.commandLine().getOut();
        String sha256 = sha256(bundle);
        long runSeed = seed != null ? seed : new java.security.SecureRandom().nextLong();
        boolean allPassed = true;
        try (CandidateHost host = CandidateHost.start(bundle)) {
            List<Candidate> candidates = new ArrayList<>(host.candidates());
            if (filter != null) {
                candidates.removeIf(c -> !c.filterName().equals(filter));
                if (candidates.isEmpty()) {
                    throw new WeirException(ExitCode.USAGE, "the bundle registers no filter named '" + filter + "'");
                }
            }
            out.println("certifying " + host.bundle().getSymbolicName() + " " + host.bundle().getVersion() + " (sha256 "
                    + sha256 + "), seed " + runSeed);
            for (Candidate c : candidates) {
                Candidate configured = new Candidate(c.filterName(), c.filterClass(), c.factory(),
                        new LinkedHashMap<>(config), c.origin());
                out.println(c.filterName() + " (" + c.filterClass() + "):");
                out.flush();
                Certifier certifier = Certifier.forCandidate(configured).seed(runSeed).bundleSha256(sha256)
                        .budget(Duration.ofMillis(budgetMillis)).listener(new Progress(out));
                if (overheadBudget != null) {
                    certifier.overheadBudget(overheadBudget);
                }
                Report report = certifier.run();
                Path dir = reportDir.resolve(c.filterName());
                Files.createDirectories(dir);
                ReportWriter.json(report, dir.resolve("report.json"));
                ReportWriter.junitXml(report, dir.resolve("report.xml"));
                ReportWriter.html(report, dir.resolve("report.html"));
                long failed = report.checks().stream().filter(r -> r.required() && r.verdict() == Verdict.FAIL).count();
                out.println("  " + (report.passed() ? "CERTIFIED" : "NOT CERTIFIED: " + failed + " required check"
                        + (failed == 1 ? "" : "s") + " failed") + "; report " + dir.resolve("report.html"));
                out.flush();
                allPassed &= report.passed();
            }
        } catch (IOException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot write the report under " + reportDir + ": "
                    + e.getMessage(), e);
        }
        return allPassed ? ExitCode.OK : ExitCode.RUNTIME_ERROR;
    }

    /** One line per check; on a terminal, a bar that fills as the checks run. */
    private static final class Progress implements ProgressListener {
        private final PrintWriter out;
        private final boolean terminal = System.console() != null;
        private int total;

        Progress(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void started(String id, int index, int total) {
            this.total = total;
            if (terminal) {
                int width = 30;
                int done = total == 0 ? width : index * width / total;
                out.print("\r  [" + "#".repeat(done) + ".".repeat(width - done) + "] " + index + "/" + total + " " + id
                        + "\u001b[K");
                out.flush();
            }
        }

        @Override
        public void finished(CheckResult r) {
            if (terminal) {
                out.print("\r\u001b[K");
            }
            out.println("  " + pad(r.verdict().name()) + " " + r.id() + " (" + r.millis() + " ms)"
                    + (r.verdict() == Verdict.FAIL && !r.evidence().isEmpty() ? ": " + r.evidence().get(0) : ""));
            out.flush();
        }

        private static String pad(String s) {
            return String.format("%-7s", s);
        }
    }

    static String sha256(Path file) throws WeirException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
