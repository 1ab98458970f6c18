package io.weir.vscsi;

/** A disk operation that could not be carried out; the message says exactly why. */
public class DiskException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of problem it was, so tools can map it to exit codes. */
    public enum Reason {
        /** Bad input: name, size, block size, option or configuration. */
        INVALID,
        /** No such disk or filter. */
        NOT_FOUND,
        /** A disk of that name exists already. */
        EXISTS,
        /** The disk is not in a state that allows the operation (waiting, stunned, busy). */
        BUSY,
        /** A filter refused the operation; the message names it. */
        REFUSED,
        /** The backend or catalog failed. */
        IO
    }

    private final Reason reason;

    public DiskException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DiskException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
