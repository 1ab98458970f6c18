package io.weir.trust;

import io.weir.filter.FilterClass;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The outcome of verifying one bundle: every problem found, not just the first.
 *
 * @param sha256 lower-case hex SHA-256 of the bundle's bytes; empty when the file could not be read
 * @param signer the signer claimed by the bundle's single signature block; empty when unsigned, when the block
 *               cannot be parsed, or when there is more than one signer
 * @param declaredClasses the known filter classes named by the {@value BundleVerifier#FILTER_CLASSES_HEADER}
 *                        manifest header
 * @param reasons every reason to refuse the bundle; empty when it is accepted
 */
public record Verdict(String sha256, Optional<Signer> signer, Set<FilterClass> declaredClasses, List<Reason> reasons) {
    /** Checks and copies the components. */
    public Verdict {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(signer, "signer");
        declaredClasses = Entitlement.copyOf(declaredClasses);
        reasons = List.copyOf(reasons);
    }

    /** Whether the bundle may be installed: no reason to refuse it was found. */
    public boolean accepted() {
        return reasons.isEmpty();
    }

    /** Whether some reason carries {@code code}. */
    public boolean has(ReasonCode code) {
        return reasons.stream().anyMatch(r -> r.code() == code);
    }
}
