package io.weir.cli;

import java.nio.file.Path;
import java.util.Map;

import picocli.CommandLine.Option;

/** {@code --data-dir}, shared by every command so that {@code weir run} and later commands agree. */
public final class DataDirOption {
    /** Environment variable naming the default data directory. */
    public static final String ENV = "WEIR_DATA_DIR";

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Runtime data directory (default: $" + ENV + ", else ~/.weir).")
    Path dataDir;

    /** The data directory this command uses, absolute. */
    public Path resolve() {
        return resolve(dataDir, System.getenv(), System.getProperty("user.home"));
    }

    /** {@code option} if given, else {@code $WEIR_DATA_DIR} if set and not empty, else {@code <home>/.weir}. */
    static Path resolve(Path option, Map<String, String> env, String home) {
        Path p;
        if (option != null) {
            p = option;
        } else if (env.get(ENV) != null && !env.get(ENV).isBlank()) {
            p = Path.of(env.get(ENV));
        } else {
            p = Path.of(home, ".weir");
        }
        return p.toAbsolutePath().normalize();
    }

    /** The admin socket of a data directory. */
    public static Path socketOf(Path dataDir) {
        return dataDir.resolve("run").resolve("admin.sock");
    }
}
