package io.weir.cli;

/** A failure to report as one line on stderr with an exit code. */
public class WeirException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public WeirException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public WeirException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
