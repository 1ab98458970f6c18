package io.weir.deploy.internal;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.weir.deploy.BundleState;
import io.weir.deploy.DeployedBundle;
import io.weir.filter.FilterClass;

/**
 * One bundle in the registry: the stored file and the last judgement of it.
 *
 * @param file the stored copy's file name under the registry's bundle folder (empty for a refusal, which is not kept)
 * @param allowed the classes it may register at run time (declared and entitled)
 */
record Entry(String symbolicName, String version, String sha256, String file, String signer, String signerRole,
             Set<FilterClass> declared, Set<FilterClass> allowed, List<String> filters, BundleState state,
             Instant judgedAt, List<String> verdict, Map<String, String> certification) {
    Entry {
        certification = Map.copyOf(certification);
        declared = declared.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(declared));
        allowed = Set.copyOf(allowed);
        filters = List.copyOf(filters);
        verdict = List.copyOf(verdict);
    }

    static Entry of(Judgement j, String file, BundleState state, Instant at, String fallbackName) {
        String name = j.symbolicName().isEmpty() ? fallbackName : j.symbolicName();
        return new Entry(name, j.version(), j.sha256(), file, j.signer(), j.role(), j.declared(), j.allowed(),
                List.of(), state, at, j.verdict(), Map.of());
    }

    Entry with(BundleState newState, Instant at, List<String> newVerdict) {
        return new Entry(symbolicName, version, sha256, file, signer, signerRole, declared, allowed, filters, newState,
                at, newVerdict, certification);
    }

    Entry withFilters(List<String> names) {
        return new Entry(symbolicName, version, sha256, file, signer, signerRole, declared, allowed, names, state,
                judgedAt, verdict, certification);
    }

    /** This entry with the filter settings its certification ran with (kept so a start can certify it again). */
    Entry withCertification(Map<String, String> settings) {
        return new Entry(symbolicName, version, sha256, file, signer, signerRole, declared, allowed, filters, state,
                judgedAt, verdict, settings);
    }

    DeployedBundle view() {
        return new DeployedBundle(symbolicName, version, sha256, signer, signerRole,
                declared.stream().sorted().toList(), filters, state, judgedAt, verdict);
    }
}
