package io.weir.certification.internal;

import java.util.ArrayList;
import java.util.List;

import io.weir.certification.Verdict;

/** A check's verdict and evidence, built up as the check runs: any {@link #fail} makes it a FAIL. */
public final class Outcome {
    private static final int MAX_FAILURES_SHOWN = 12;

    private final List<String> evidence = new ArrayList<>();
    private Verdict verdict = Verdict.PASS;
    private int failures;
    private int hidden;

    /** Record what was sent or seen. */
    public Outcome note(String line) {
        evidence.add(line);
        return this;
    }

    /** Record a breach of the contract; the check fails. */
    public Outcome fail(String line) {
        verdict = Verdict.FAIL;
        if (++failures <= MAX_FAILURES_SHOWN) {
            evidence.add("FAIL: " + line);
        } else {
            hidden++;
        }
        return this;
    }

    /** Fail unless {@code condition}, with {@code line} as the finding. */
    public boolean expect(boolean condition, String line) {
        if (!condition) {
            fail(line);
        }
        return condition;
    }

    /** The check does not apply or cannot run, for {@code reason}. */
    public static Outcome skipped(String reason) {
        Outcome o = new Outcome();
        o.verdict = Verdict.SKIPPED;
        o.evidence.add(reason);
        return o;
    }

    /** Mark a measurement without a pass mark. */
    public Outcome informational() {
        if (verdict == Verdict.PASS) {
            verdict = Verdict.INFO;
        }
        return this;
    }

    public boolean failed() {
        return verdict == Verdict.FAIL;
    }

    public Verdict verdict() {
        return verdict;
    }

    public List<String> evidence() {
        List<String> all = new ArrayList<>(evidence);
        if (hidden > 0) {
            all.add("... and " + hidden + " more failures of the same kind");
        }
        return all;
    }
}
