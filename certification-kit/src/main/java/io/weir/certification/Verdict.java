package io.weir.certification;

/** The outcome of one check. */
public enum Verdict {
    /** The candidate honoured the contract sentence. */
    PASS,
    /** The candidate broke the contract sentence; the evidence says how. */
    FAIL,
    /** The check could not run; the evidence says why. */
    SKIPPED,
    /** A measurement without a pass mark (overhead ratio without a budget). */
    INFO
}
