package io.weir.certification.internal;

/** One named check of the kit: a contract sentence and how to test a candidate against it. */
public interface Check {
    /** Stable identifier, for example {@code exactly-once}. */
    String id();

    /** The contract sentence the check tests. */
    String sentence();

    /** Whether the report can pass only if this check passes, given the run's settings (most checks: always). */
    default boolean required(CheckContext context) {
        return true;
    }

    /** Run the check; an exception is reported as a FAIL with the exception as evidence. */
    Outcome run(CheckContext context) throws Exception;
}
