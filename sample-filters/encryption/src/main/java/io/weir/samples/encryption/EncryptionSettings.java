package io.weir.samples.encryption;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The per-disk settings of the {@code encryption} filter, declared through Metatype so the runtime refuses unknown or
 * malformed keys before the filter is created. Key names are the method names with {@code _} read as {@code .}
 * (for example {@code encryption.keystore.passwordFile}). The configuration never holds a secret: the KEK lives in
 * the keystore and the keystore's password in a file.
 */
@ObjectClassDefinition(name = "Weir encryption filter",
        description = "XTS-AES-256 per logical block; a random data key per disk, wrapped by a KEK from a PKCS#12"
                + " keystore")
public @interface EncryptionSettings {
    @AttributeDefinition(description = "Path of the PKCS#12 keystore holding the key-encryption key (required)")
    String encryption_keystore() default "";

    @AttributeDefinition(description = "Path of a file whose first line is the keystore's password; it must not be"
            + " readable by every user (required)")
    String encryption_keystore_passwordFile() default "";

    @AttributeDefinition(description = "Alias of the AES-256 secret-key entry used as the key-encryption key"
            + " (required)")
    String encryption_kek_alias() default "";

    @AttributeDefinition(description = "Pass UNMAP and WRITE_ZEROES down: discarded and zeroed blocks read back as"
            + " zeros, at the price of showing anyone who can read the backend which blocks are unused")
    boolean encryption_discards() default false;
}
