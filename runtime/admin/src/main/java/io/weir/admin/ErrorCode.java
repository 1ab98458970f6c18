package io.weir.admin;

import io.weir.deploy.DeployException;
import io.weir.vscsi.DiskException;

/** The {@code code} of an error response. */
enum ErrorCode {
    /** The line is not a JSON object (or not UTF-8). */
    BAD_JSON,
    /** The line exceeds {@link AdminServer#MAX_LINE} bytes. */
    TOO_LARGE,
    /** The {@code op} is not one the server knows. */
    UNKNOWN_OP,
    /** A field is missing, of the wrong type, unknown or out of range. */
    INVALID,
    /** No such disk or filter. */
    NOT_FOUND,
    /** A disk of that name exists already. */
    EXISTS,
    /** The disk or server is busy (stunned disk, connection limit reached). */
    BUSY,
    /** A filter refused the operation, or the deploy pipeline refused a bundle ({@code reasons} lists why). */
    REFUSED,
    /** The disk exists but is not serving I/O. */
    UNAVAILABLE,
    /** A backend, catalog or I/O error; also a load run that saw I/O errors. */
    IO,
    /** A load run in verify mode read back data that differs from what it wrote. */
    VERIFY_FAILED,
    /** A bug on the server side; the message says what broke. */
    INTERNAL;

    static ErrorCode of(DeployException.Reason reason) {
        return switch (reason) {
            case REFUSED -> REFUSED;
            case INVALID -> INVALID;
            case EXISTS -> EXISTS;
            case NOT_FOUND -> NOT_FOUND;
            case BUSY -> BUSY;
            case IO -> IO;
        };
    }

    static ErrorCode of(DiskException.Reason reason) {
        switch (reason) {
            case INVALID:
                return INVALID;
            case NOT_FOUND:
                return NOT_FOUND;
            case EXISTS:
                return EXISTS;
            case BUSY:
                return BUSY;
            case REFUSED:
                return REFUSED;
            case IO:
            default:
                return IO;
        }
    }
}
