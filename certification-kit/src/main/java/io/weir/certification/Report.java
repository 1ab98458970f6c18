package io.weir.certification;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import io.weir.filter.FilterClass;

/**
 * What a certification run found about one candidate, bound to its bundle's bytes by {@code bundleSha256}.
 *
 * @param filterName   the candidate's name
 * @param filterClass  the candidate's class
 * @param origin       where the candidate came from
 * @param bundleSha256 the SHA-256 of the bundle in lower-case hex; empty when the candidate was not loaded from a bundle
 * @param started      when the run started
 * @param seed         the seed of every random choice of the run; the same seed replays the same workloads
 * @param checks       every check, in the order they ran
 */
public record Report(String filterName, FilterClass filterClass, String origin, String bundleSha256, Instant started,
                     long seed, List<CheckResult> checks) {
    public Report {
        Objects.requireNonNull(filterName, "filterName");
        Objects.requireNonNull(filterClass, "filterClass");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(bundleSha256, "bundleSha256");
        Objects.requireNonNull(started, "started");
        checks = List.copyOf(checks);
    }

    /** True when every required check passed. */
    public boolean passed() {
        return checks.stream().filter(CheckResult::required).allMatch(c -> c.verdict() == Verdict.PASS);
    }

    /** The result of the check {@code id}, or null when the report holds none. */
    public CheckResult check(String id) {
        return checks.stream().filter(c -> c.id().equals(id)).findFirst().orElse(null);
    }
}
