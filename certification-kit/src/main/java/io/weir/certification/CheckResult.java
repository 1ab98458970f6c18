package io.weir.certification;

import java.util.List;
import java.util.Objects;

/**
 * The result of one check.
 *
 * @param id       the check's identifier, for example {@code exactly-once} (see {@link Certifier#checkIds()})
 * @param sentence the contract sentence the check tests
 * @param required whether the report passes only if this check passes
 * @param verdict  the outcome
 * @param millis   how long the check ran
 * @param evidence what was sent and what was seen, one finding per line
 */
public record CheckResult(String id, String sentence, boolean required, Verdict verdict, long millis,
                          List<String> evidence) {
    public CheckResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sentence, "sentence");
        Objects.requireNonNull(verdict, "verdict");
        evidence = List.copyOf(evidence);
    }
}
