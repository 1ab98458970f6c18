package io.weir.trust;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code jarsigner -verify -strict} of the JDK running the tests, with a PKCS#12 trust store holding
 * given roots as its {@code -keystore}.
 */
public final class Jarsigner {
    /** The trust store password. */
    private static final String PASSWORD = "changeit";

    /**
     * What jarsigner said.
     *
     * @param exitCode its exit code
     * @param output its standard output and error
     */
    public record Result(int exitCode, String output) {
        /** Whether jarsigner accepts the JAR: exit code 0 and "jar verified." (an unsigned JAR exits 0 too). */
        public boolean accepted() {
            return exitCode == 0 && output.contains("jar verified.");
        }
    }

    private final Path keystore;

    /** Writes a PKCS#12 trust store of {@code roots} to {@code keystore}. */
    public Jarsigner(Path keystore, List<X509Certificate> roots) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < roots.size(); i++) {
            store.setCertificateEntry("root" + i, roots.get(i));
        }
        try (OutputStream out = Files.newOutputStream(keystore)) {
            store.store(out, PASSWORD.toCharArray());
        }
        this.keystore = keystore;
    }

    /** The jarsigner of the running JDK. */
    public static Path executable() {
        return Path.of(System.getProperty("java.home"), "bin", "jarsigner");
    }

    /** Runs {@code jarsigner -verify -strict} on {@code jar}. */
    public Result verify(Path jar) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(executable().toString(), "-J-Duser.language=en", "-J-Duser.country=US",
                // start faster: these runs are short
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC",
                "-verify", "-strict", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, jar.toString())
                .redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("jarsigner did not finish verifying " + jar);
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
