package io.weir.trust;

/** Why a bundle is refused. Each {@link Reason} carries one, with a message naming what is wrong. */
public enum ReasonCode {
    /** The file cannot be read. */
    UNREADABLE,
    /** The ZIP structure is inconsistent: readers could disagree on what the bundle contains. */
    ZIP_STRUCTURE,
    /** Two entries share a name. */
    DUPLICATE_ENTRY,
    /** There is no {@code META-INF/MANIFEST.MF}. */
    NO_MANIFEST,
    /** There is no signature at all. */
    UNSIGNED,
    /** An entry is not covered by the signature (added after signing, or left out of it). */
    UNSIGNED_ENTRY,
    /** An entry's content does not match its signed digest. */
    MODIFIED_ENTRY,
    /** An entry named in the signed manifest is absent. */
    MISSING_ENTRY,
    /** A digest or signature uses an algorithm that is no longer strong enough (SHA-1, MD5). */
    WEAK_DIGEST,
    /** The signature file or signature block is malformed or does not verify. */
    BAD_SIGNATURE,
    /** The bundle carries more than one signature; Weir accepts exactly one signer. */
    MULTIPLE_SIGNERS,
    /** The signer's certificate does not chain to a trusted root, or is not a code-signing certificate. */
    UNTRUSTED,
    /** A certificate of the chain has expired. */
    EXPIRED,
    /** A certificate of the chain is not valid yet. */
    NOT_YET_VALID,
    /** A certificate of the chain is listed in its issuer's CRL. */
    REVOKED,
    /** No CRL of a certificate's issuer is in the trust store, so revocation cannot be checked. */
    REVOCATION_UNKNOWN,
    /** The signing certificate carries no (or a malformed) entitlement extension. */
    NO_ENTITLEMENT,
    /** The manifest does not declare the bundle's filter classes. */
    NO_DECLARED_CLASSES,
    /** The manifest declares a name that is not a filter class. */
    UNKNOWN_CLASS,
    /** The bundle declares a class its signer is not entitled to. */
    NOT_ENTITLED,
    /** A partner-signed bundle declares a vendor-only class. */
    VENDOR_ONLY
}
