package io.weir.deploy;

/** Where a deployed bundle stands. */
public enum BundleState {
    /** Verified, installed and started: its filters are available to disks. */
    ACTIVE,
    /** The pipeline refused it (at deploy or when re-verified at start); it is not installed. */
    REFUSED,
    /** It passed the pipeline but broke a rule at run time (for example registered a filter class it did not declare); stopped. */
    FENCED,
    /** Verified and installed but it did not start or resolve; the verdict says why. */
    FAILED
}
