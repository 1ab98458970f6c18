package io.weir.deploy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import io.weir.deploy.DeployException;
import io.weir.deploy.FilterBundles;

/**
 * The watched deploy folder: a {@code *.jar} dropped into it is deployed once it has stopped changing (same
 * size and modification time on two scans in a row, so a copy in progress is never judged). A deployed file is
 * removed from the folder; a refused one moves to {@code refused/} beside a {@code .txt} with every reason.
 * Names starting with a dot are ignored (write there first, then rename, for an atomic drop).
 */
final class DeployFolder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeployFolder.class.getName());

    private record Seen(long size, long modified) {
    }

    private final Path dir;
    private final FilterBundles bundles;
    private final long pollMillis;
    private final Map<Path, Seen> seen = new HashMap<>();
    private volatile Thread thread;

    DeployFolder(Path dir, FilterBundles bundles, long pollMillis) throws IOException {
        this.dir = dir;
        this.bundles = bundles;
        this.pollMillis = pollMillis;
        Files.createDirectories(dir);
    }

    Path dir() {
        return dir;
    }

    /** Deploy every jar present now, without waiting for it to settle (used at start, before the watch). */
    void scanOnce() {
        for (Path jar : jars().keySet()) {
            process(jar);
        }
    }

    void start() {
        if (pollMillis <= 0) {
            return;
        }
        Thread t = new Thread(this::watch, "weir-deploy-folder");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Map<Path, Seen> now = jars();
                for (Map.Entry<Path, Seen> e : now.entrySet()) {
                    if (e.getValue().equals(seen.get(e.getKey()))) {
                        process(e.getKey());
                    }
                }
                seen.clear();
                seen.putAll(now);
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "deploy folder " + dir + ": " + e, e);
            }
        }
    }

    private Map<Path, Seen> jars() {
        Map<Path, Seen> out = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path p : files) {
                if (p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    out.put(p, new Seen(a.size(), a.lastModifiedTime().toMillis()));
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot list the deploy folder " + dir + ": " + e.getMessage());
        }
        return out;
    }

    private void process(Path jar) {
        try {
            bundles.deploy(jar);
            Files.deleteIfExists(jar);
        } catch (DeployException e) {
            reject(jar, e);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "deployed " + jar + " but cannot remove it: " + e.getMessage());
        }
    }

    private void reject(Path jar, DeployException e) {
        Path refused = dir.resolve("refused");
        try {
            Files.createDirectories(refused);
            Path target = refused.resolve(jar.getFileName());
            Files.move(jar, target, StandardCopyOption.REPLACE_EXISTING);
            StringBuilder text = new StringBuilder(e.reason() + ": " + e.getMessage() + "\n");
            e.reasons().forEach(r -> text.append("  ").append(r).append('\n'));
            Files.writeString(refused.resolve(jar.getFileName() + ".txt"), text, StandardCharsets.UTF_8);
        } catch (IOException io) {
            LOG.log(System.Logger.Level.ERROR, "cannot move refused " + jar + " aside: " + io.getMessage());
        }
    }

    @Override
    public void close() throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            t.join(5000);
        }
    }
}
