package io.weir.filter;

import java.util.Objects;

/**
 * The outcome of a request: {@link #OK} or a failure with an {@link IoError} and a message that says
 * what failed and where. Immutable.
 */
public final class IoStatus {
    /** Success. */
    public static final IoStatus OK = new IoStatus(null, "ok");

    private final IoError error;
    private final String message;

    private IoStatus(IoError error, String message) {
        this.error = error;
        this.message = message;
    }

    /** A failure. The message should name the layer or device that failed and why. */
    public static IoStatus failed(IoError error, String message) {
        return new IoStatus(Objects.requireNonNull(error, "error"), Objects.requireNonNull(message, "message"));
    }

    /** Whether the request succeeded. */
    public boolean isOk() {
        return error == null;
    }

    /** The error of a failed request; {@code null} for {@link #OK}. */
    public IoError error() {
        return error;
    }

    /** A human-readable description; {@code "ok"} on success. */
    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return error == null ? "OK" : error + ": " + message;
    }
}
