package io.weir.certification;

import java.util.Map;
import java.util.Objects;

import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;

/**
 * The filter under test: what its bundle registered.
 *
 * @param filterName  the name the filter is registered under
 * @param filterClass the class it declares, which fixes its place in every stack
 * @param factory     the factory the kit creates instances from, one per kit disk
 * @param config      the per-disk configuration every instance gets (for example {@code mode})
 * @param origin      where the filter came from, for the report: a bundle's symbolic name and version, or a path
 * @param replica     for a REPLICATION candidate, the replica its configuration replicates to, or null when the kit
 *                    cannot see one (then replica semantics are not checked)
 */
public record Candidate(String filterName, FilterClass filterClass, FilterFactory factory, Map<String, Object> config,
                        String origin, ReplicaHarness replica) {
    public Candidate {
        Objects.requireNonNull(filterName, "filterName");
        Objects.requireNonNull(filterClass, "filterClass");
        Objects.requireNonNull(factory, "factory");
        config = Map.copyOf(config);
        Objects.requireNonNull(origin, "origin");
    }

    /** A candidate without a replica harness. */
    public Candidate(String filterName, FilterClass filterClass, FilterFactory factory, Map<String, Object> config,
                     String origin) {
        this(filterName, filterClass, factory, config, origin, null);
    }

    /** This candidate, replicating to {@code harness}'s replica. */
    public Candidate withReplica(ReplicaHarness harness) {
        return new Candidate(filterName, filterClass, factory, config, origin, Objects.requireNonNull(harness, "harness"));
    }
}
