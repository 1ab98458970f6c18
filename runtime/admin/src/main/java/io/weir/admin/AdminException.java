package io.weir.admin;

/** A request that cannot be served; {@link #code()} is the protocol's error code, the message one clear line. */
final class AdminException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    AdminException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
