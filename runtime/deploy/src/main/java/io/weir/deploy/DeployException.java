package io.weir.deploy;

import java.util.List;

/** Why a deploy or undeploy did not happen; {@link #reasons()} lists every reason, one line each. */
public final class DeployException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The kind of failure. */
    public enum Reason {
        /** The pipeline refused the bundle (signature, trust, entitlement, partner code, manifest). */
        REFUSED,
        /** The request itself is wrong (no such file, not a regular file). */
        INVALID,
        /** A bundle of that symbolic name is deployed already. */
        EXISTS,
        /** Nothing of that name is deployed. */
        NOT_FOUND,
        /** A disk uses one of the bundle's filters. */
        BUSY,
        /** The framework or the store failed. */
        IO
    }

    private final Reason reason;
    private final List<String> reasons;

    public DeployException(Reason reason, String message, List<String> reasons) {
        super(message);
        this.reason = reason;
        this.reasons = List.copyOf(reasons);
    }

    public DeployException(Reason reason, String message) {
        this(reason, message, List.of());
    }

    public Reason reason() {
        return reason;
    }

    /** Every reason, one line each (empty when the message says it all). */
    public List<String> reasons() {
        return reasons;
    }
}
