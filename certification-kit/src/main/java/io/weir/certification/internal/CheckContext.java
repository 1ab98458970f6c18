package io.weir.certification.internal;

import java.time.Duration;
import java.util.Random;

import io.weir.certification.Candidate;

/** What a check runs with: the candidate, the run's seed and budgets, and the run's fault ledger. */
public final class CheckContext {
    private final Candidate candidate;
    private final long seed;
    private final Duration budget;
    private final double overheadBudget;
    private final FaultLedger ledger;
    private final Rig rig;
    private volatile String checkId = "";

    public CheckContext(Candidate candidate, long seed, Duration budget, double overheadBudget, FaultLedger ledger) {
        this.candidate = candidate;
        this.seed = seed;
        this.budget = budget;
        this.overheadBudget = overheadBudget;
        this.ledger = ledger;
        this.rig = new Rig(this);
    }

    public Candidate candidate() {
        return candidate;
    }

    public long seed() {
        return seed;
    }

    /** Roughly how long one check may run; workloads stop early when it runs out. */
    public Duration budget() {
        return budget;
    }

    /** The largest acceptable ratio of candidate to baseline time; NaN when overhead is informational. */
    public double overheadBudget() {
        return overheadBudget;
    }

    public FaultLedger ledger() {
        return ledger;
    }

    public Rig rig() {
        return rig;
    }

    /** The check now running, for the ledger. */
    public String checkId() {
        return checkId;
    }

    /** Mark the start of check {@code id}. */
    public void begin(String id) {
        this.checkId = id;
    }

    /** A random source for one use in one check, reproducible from the run's seed. */
    public Random random(String use) {
        return new Random(seed * 31 + (checkId + "/" + use).hashCode());
    }

    /** The candidate's configured value of {@code key}, lower case, or {@code fallback}. */
    public String config(String key, String fallback) {
        Object v = candidate.config().get(key);
        return v == null ? fallback : v.toString().trim().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The candidate's mode, lower case: the value of key {@code mode}, else of the one key ending in {@code .mode}
     * (a filter's own namespaced key, such as {@code cache.mode} or {@code replication.mode}), else {@code fallback}.
     */
    public String mode(String fallback) {
        String key = modeKey();
        return key == null ? fallback : config(key, fallback);
    }

    /** The key {@link #mode} read, or null when the candidate sets none. */
    public String modeKey() {
        if (candidate.config().containsKey("mode")) {
            return "mode";
        }
        java.util.List<String> keys = candidate.config().keySet().stream().filter(k -> k.endsWith(".mode")).sorted()
                .toList();
        return keys.size() == 1 ? keys.get(0) : null;
    }
}
