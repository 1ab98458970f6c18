package io.weir.cli;

/** The exit codes of {@code weir}. */
public final class ExitCode {
    /** Done. */
    public static final int OK = 0;
    /** The runtime refused or failed the request (or could not start). */
    public static final int RUNTIME_ERROR = 1;
    /** The command line was wrong. */
    public static final int USAGE = 2;
    /** No runtime answers for the data directory. */
    public static final int NOT_REACHABLE = 3;

    private ExitCode() {
    }
}
