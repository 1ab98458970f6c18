package io.weir.deploy.internal;

import java.util.List;
import java.util.Set;

import io.weir.filter.FilterClass;

/**
 * What the pipeline decided about one bundle file.
 *
 * @param symbolicName Bundle-SymbolicName, or empty when the manifest could not be read
 * @param version Bundle-Version ("0.0.0" when absent)
 * @param sha256 hex SHA-256 of the judged bytes
 * @param signer the signer's subject, empty when unsigned
 * @param role {@code VENDOR}, {@code PARTNER} or empty
 * @param declared the filter classes the manifest declares
 * @param allowed the classes the bundle may register at run time: declared and entitled
 * @param reasons why it is refused (empty when accepted)
 * @param checks what was checked, for an accepted bundle's verdict
 */
record Judgement(String symbolicName, String version, String sha256, String signer, String role,
                 Set<FilterClass> declared, Set<FilterClass> allowed, List<String> reasons, List<String> checks) {
    Judgement {
        declared = Set.copyOf(declared);
        allowed = Set.copyOf(allowed);
        reasons = List.copyOf(reasons);
        checks = List.copyOf(checks);
    }

    /** The same judgement with more checks passed (certification), for an accepted bundle's verdict. */
    Judgement withChecks(List<String> more) {
        List<String> all = new java.util.ArrayList<>(checks);
        all.addAll(more);
        return new Judgement(symbolicName, version, sha256, signer, role, declared, allowed, reasons, all);
    }

    boolean accepted() {
        return reasons.isEmpty();
    }

    boolean partner() {
        return "PARTNER".equals(role);
    }

    /** The verdict lines shown to the operator. */
    List<String> verdict() {
        return accepted() ? checks : reasons;
    }
}
