/**
 * The {@code encryption} sample filter (class ENCRYPTION, vendor only): XTS-AES-256 per logical block, with a random
 * data key per disk wrapped by a key-encryption key from a PKCS#12 keystore and kept in the filter's sidecar. The
 * bundle exports nothing; the types here are public for tests, benchmarks and code that embeds the factory.
 */
package io.weir.samples.encryption;
