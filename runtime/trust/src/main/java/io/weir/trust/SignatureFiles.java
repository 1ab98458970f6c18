package io.weir.trust;

import java.util.Locale;
import java.util.Set;

/** Names of the JAR signature files and the algorithms behind their extensions. */
final class SignatureFiles {
    static final String MANIFEST = "META-INF/MANIFEST.MF";
    private static final String META_INF = "META-INF/";
    private static final Set<String> BLOCK_EXTENSIONS = Set.of("RSA", "DSA", "EC");

    private SignatureFiles() {
    }

    /** Whether an entry is the manifest, a {@code .SF} or a signature block directly under {@code META-INF/}. */
    static boolean isSignatureFile(String name) {
        return name.equals(MANIFEST) || isSignatureFileOnly(name) || isBlock(name);
    }

    /** Whether an entry is a {@code META-INF/*.SF}. */
    static boolean isSignatureFileOnly(String name) {
        return inMetaInf(name) && extension(name).equals("SF");
    }

    /** Whether an entry is a {@code META-INF/*.RSA}, {@code .DSA} or {@code .EC}. */
    static boolean isBlock(String name) {
        return inMetaInf(name) && BLOCK_EXTENSIONS.contains(extension(name));
    }

    /** The base name of a signature file or block: {@code WEIR} for {@code META-INF/WEIR.SF}. */
    static String baseName(String name) {
        String file = name.substring(META_INF.length());
        int dot = file.lastIndexOf('.');
        return (dot < 0 ? file : file.substring(0, dot)).toUpperCase(Locale.ROOT);
    }

    private static boolean inMetaInf(String name) {
        return name.regionMatches(true, 0, META_INF, 0, META_INF.length())
                && name.indexOf('/', META_INF.length()) < 0 && name.length() > META_INF.length();
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toUpperCase(Locale.ROOT);
    }

    /** The block extension for a key algorithm ({@code EC}, {@code RSA}, {@code DSA}). */
    static String blockExtension(String keyAlgorithm) {
        String algorithm = keyAlgorithm.toUpperCase(Locale.ROOT);
        if (!BLOCK_EXTENSIONS.contains(algorithm)) {
            throw new IllegalArgumentException("cannot sign a JAR with a " + keyAlgorithm + " key");
        }
        return algorithm;
    }

    /** The JCA signature suffix for a block extension: {@code ECDSA}, {@code RSA}, {@code DSA}. */
    static String signatureSuffix(String blockExtension) {
        return blockExtension.equals("EC") ? "ECDSA" : blockExtension;
    }
}
