package io.weir.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The development root this build of weir carries (the root of the development PKI the build signed the sample
 * filters with), under {@code trust/development/} in the jar. {@code weir run} trusts it unless told
 * {@code --no-development-trust}; an operator's own roots live in {@code <data-dir>/trust/}.
 */
final class DevelopmentTrust {
    static final String RESOURCE_DIR = "trust/development/";
    static final List<String> FILES = List.of("development-root.pem", "development-root.crl");

    private DevelopmentTrust() {
    }

    /** Copy the development root and its CRL into {@code dir} (replacing older copies); false when this build has none. */
    static boolean extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : FILES) {
            try (InputStream in = DevelopmentTrust.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    return false;
                }
                Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return true;
    }
}
