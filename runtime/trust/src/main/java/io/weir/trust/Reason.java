package io.weir.trust;

import java.util.Objects;

/**
 * One problem found in a bundle.
 *
 * @param code what kind of problem
 * @param message a human-readable explanation naming the entry, certificate or class concerned
 */
public record Reason(ReasonCode code, String message) {
    /** Checks both components are present. */
    public Reason {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return code + ": " + message;
    }
}
