package io.weir.certification;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.FaultLedger;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.checks.AckSemanticsCheck;
import io.weir.certification.internal.checks.ClassPositionCheck;
import io.weir.certification.internal.checks.ControlEventsCheck;
import io.weir.certification.internal.checks.DataIntegrityCheck;
import io.weir.certification.internal.checks.DeadlinesCheck;
import io.weir.certification.internal.checks.DurabilityCheck;
import io.weir.certification.internal.checks.ErrorPropagationCheck;
import io.weir.certification.internal.checks.ExactlyOnceCheck;
import io.weir.certification.internal.checks.FaultFreeCheck;
import io.weir.certification.internal.checks.NonBlockingCheck;
import io.weir.certification.internal.checks.OverheadCheck;
import io.weir.certification.internal.checks.ReplicaSemanticsCheck;
import io.weir.certification.internal.checks.SwapHandoffCheck;

/**
 * Runs every check of the kit against one {@link Candidate} and returns the {@link Report}. Each check hosts
 * fresh instances of the candidate on disks the kit controls; randomness comes from the seed, so a run can be
 * replayed with {@link #seed(long)}. A misbehaving candidate never makes {@link #run()} throw: what it did is a
 * FAIL with evidence. Not thread safe; one run at a time.
 *
 * <pre>{@code
 * Report r = Certifier.forCandidate(candidate).seed(42).bundleSha256(hex).run();
 * ReportWriter.json(r, dir.resolve("report.json"));
 * }</pre>
 */
public final class Certifier {
    /** Default budget of one check. */
    public static final Duration DEFAULT_BUDGET = Duration.ofMillis(1500);

    private static final ProgressListener SILENT = new ProgressListener() {
        @Override
        public void started(String id, int index, int total) {
        }

        @Override
        public void finished(CheckResult result) {
        }
    };

    private final Candidate candidate;
    private long seed = System.nanoTime() ^ 0x5DEECE66DL;
    private Duration budget = DEFAULT_BUDGET;
    private double overheadBudget = Double.NaN;
    private String bundleSha256 = "";
    private ProgressListener listener = SILENT;

    private Certifier(Candidate candidate) {
        this.candidate = Objects.requireNonNull(candidate, "candidate");
    }

    /** A certifier for {@code candidate}, with a time-based seed, the default budget and no overhead budget. */
    public static Certifier forCandidate(Candidate candidate) {
        return new Certifier(candidate);
    }

    /** The seed of every random choice; the same seed and candidate replay the same workloads. */
    public Certifier seed(long value) {
        this.seed = value;
        return this;
    }

    /** Roughly how long each randomized check may run (default {@link #DEFAULT_BUDGET}). */
    public Certifier budget(Duration perCheck) {
        if (perCheck.isNegative() || perCheck.isZero()) {
            throw new IllegalArgumentException("budget per check must be positive, got " + perCheck);
        }
        this.budget = perCheck;
        return this;
    }

    /**
     * The largest acceptable ratio of the candidate's time to a pass-through baseline's on the same workload;
     * {@link Double#NaN} (the default) makes the overhead check informational.
     */
    public Certifier overheadBudget(double maxRatio) {
        if (!Double.isNaN(maxRatio) && !(maxRatio >= 1.0)) {
            throw new IllegalArgumentException("overhead budget must be a ratio of at least 1.0, or NaN, got " + maxRatio);
        }
        this.overheadBudget = maxRatio;
        return this;
    }

    /** The SHA-256 of the candidate's bundle, in hex, to bind the report to those bytes. */
    public Certifier bundleSha256(String hex) {
        String h = Objects.requireNonNull(hex, "hex").toLowerCase(java.util.Locale.ROOT);
        if (!h.isEmpty() && !h.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a SHA-256 in hex (64 hex digits): '" + hex + "'");
        }
        this.bundleSha256 = h;
        return this;
    }

    /** Told as each check starts and ends. */
    public Certifier listener(ProgressListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
        return this;
    }

    /** The identifiers of the checks, in the order they run. */
    public static List<String> checkIds() {
        return checks().stream().map(Check::id).toList();
    }

    private static List<Check> checks() {
        return List.of(new ClassPositionCheck(), new ExactlyOnceCheck(), new DataIntegrityCheck(),
                new DurabilityCheck(), new AckSemanticsCheck(), new ReplicaSemanticsCheck(),
                new ErrorPropagationCheck(), new ControlEventsCheck(), new SwapHandoffCheck(), new NonBlockingCheck(),
                new DeadlinesCheck(), new OverheadCheck(), new FaultFreeCheck());
    }

    /** Run every check and return the report. */
    public Report run() {
        Instant started = Instant.now();
        CheckContext context = new CheckContext(candidate, seed, budget, overheadBudget, new FaultLedger());
        List<Check> checks = checks();
        List<CheckResult> results = new ArrayList<>();
        try {
            for (int i = 0; i < checks.size(); i++) {
                Check check = checks.get(i);
                listener.started(check.id(), i + 1, checks.size());
                CheckResult result = runOne(check, context);
                results.add(result);
                listener.finished(result);
            }
        } finally {
            context.rig().close();
        }
        return new Report(candidate.filterName(), candidate.filterClass(), candidate.origin(), bundleSha256, started,
                seed, results);
    }

    /** Run one check on a thread of its own, so a candidate that hangs the kit costs a bounded wait. */
    private CheckResult runOne(Check check, CheckContext context) {
        long t0 = System.nanoTime();
        Duration limit = budget.multipliedBy(10).plusSeconds(60);
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        Thread runner = new Thread(() -> {
            try {
                context.begin(check.id());
                done.complete(check.run(context));
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, "weir-certification-" + check.id());
        runner.setDaemon(true);
        runner.start();
        Outcome outcome;
        try {
            outcome = done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            runner.interrupt();
            outcome = new Outcome().fail("the check did not finish within " + limit.toSeconds()
                    + " s; the candidate hangs the kit");
        } catch (ExecutionException e) {
            outcome = new Outcome().fail("the check stopped: " + describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = new Outcome().fail("the run was interrupted");
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        return new CheckResult(check.id(), check.sentence(), check.required(context), outcome.verdict(), millis,
                outcome.evidence());
    }

    private static String describe(Throwable t) {
        StringBuilder s = new StringBuilder(t.toString());
        for (StackTraceElement e : t.getStackTrace()) {
            if (!e.getClassName().startsWith("java.")) {
                s.append(" at ").append(e);
                break;
            }
        }
        return s.toString();
    }
}
