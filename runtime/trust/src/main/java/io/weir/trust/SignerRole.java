package io.weir.trust;

/** Who a signing certificate belongs to: the vendor itself, or a partner the vendor entitled. */
public enum SignerRole {
    /** The vendor; may ship every filter class, including the vendor-only ones. */
    VENDOR,
    /** A partner; may ship only the classes its certificate lists, and never a vendor-only class. */
    PARTNER
}
