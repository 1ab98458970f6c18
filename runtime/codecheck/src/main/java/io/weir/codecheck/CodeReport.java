package io.weir.codecheck;

import java.util.List;

/**
 * The result of {@link CodeCheck#check}: every finding, in the order found (manifest first, then entries in
 * jar order), and how many class entries were examined (including unreadable ones).
 *
 * @param findings       what the bundle must not do; empty when the bundle is clean
 * @param classesScanned class entries examined, including those in embedded jars and versioned directories
 */
public record CodeReport(List<Finding> findings, int classesScanned) {
    /** Copies the findings; rejects a negative count. */
    public CodeReport {
        findings = List.copyOf(findings);
        if (classesScanned < 0) {
            throw new IllegalArgumentException("classesScanned must not be negative: " + classesScanned);
        }
    }

    /** Whether the bundle broke no rule. */
    public boolean clean() {
        return findings.isEmpty();
    }

    /** The findings of one rule, in order. */
    public List<Finding> findings(Rule rule) {
        return findings.stream().filter(f -> f.rule() == rule).toList();
    }
}
