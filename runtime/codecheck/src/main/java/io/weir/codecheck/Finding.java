package io.weir.codecheck;

import java.util.Objects;

/**
 * One thing a partner bundle must not do, and where it does it.
 *
 * @param rule    the rule broken
 * @param where   the place: jar entry, then method (name and descriptor) and line when known, e.g.
 *                {@code "com/acme/Cache.class, method flush(J)V, line 42"}; entries inside an embedded jar
 *                read {@code "lib/x.jar!/com/acme/X.class"}; manifest findings name the header
 * @param message what is used and why it is refused, naming the API (e.g. {@code java.lang.System.exit(int)})
 */
public record Finding(Rule rule, String where, String message) {
    /** Rejects null components. */
    public Finding {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(where, "where");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return rule + " at " + where + ": " + message;
    }
}
