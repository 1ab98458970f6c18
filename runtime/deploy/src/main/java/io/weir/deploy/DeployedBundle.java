package io.weir.deploy;

import java.time.Instant;
import java.util.List;

import io.weir.filter.FilterClass;

/**
 * One bundle the deploy pipeline has judged, as {@code weir filter list} shows it.
 *
 * @param symbolicName the bundle's symbolic name (the key: one deployed version per name)
 * @param version the bundle's version
 * @param sha256 hex SHA-256 of the exact bytes verified and installed
 * @param signer the signer's subject, empty when unsigned
 * @param signerRole {@code VENDOR}, {@code PARTNER} or empty when unknown
 * @param declaredClasses the filter classes the bundle declares in its manifest
 * @param filters names of the filters it registers (known once it is active)
 * @param state where it stands
 * @param judgedAt when the last verdict was reached
 * @param verdict one line per reason: the refusal reasons, or what was checked when accepted
 */
public record DeployedBundle(String symbolicName, String version, String sha256, String signer, String signerRole,
                             List<FilterClass> declaredClasses, List<String> filters, BundleState state,
                             Instant judgedAt, List<String> verdict) {
    public DeployedBundle {
        declaredClasses = List.copyOf(declaredClasses);
        filters = List.copyOf(filters);
        verdict = List.copyOf(verdict);
    }
}
