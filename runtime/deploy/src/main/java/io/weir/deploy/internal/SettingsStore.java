package io.weir.deploy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

import io.weir.vscsi.durable.AtomicFiles;

/**
 * Service settings on disk: one JSON object of string values per configuration pid, {@code <dir>/<pid>.json},
 * each replaced atomically (written beside, forced, renamed, directory forced).
 */
final class SettingsStore {
    /** A configuration pid as OSGi names them: dotted identifiers; nothing that could leave the directory. */
    private static final Pattern PID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,199}");
    private static final String SUFFIX = ".json";
    private static final Gson GSON = new Gson();

    private final Path dir;

    SettingsStore(Path dir) {
        this.dir = dir;
    }

    static boolean validPid(String pid) {
        return pid != null && PID.matcher(pid).matches() && !pid.contains("..");
    }

    void put(String pid, Map<String, String> settings) throws IOException {
        AtomicFiles.write(file(pid), GSON.toJson(new TreeMap<>(settings)).getBytes(StandardCharsets.UTF_8));
    }

    boolean remove(String pid) throws IOException {
        Path f = file(pid);
        if (!Files.exists(f)) {
            return false;
        }
        AtomicFiles.delete(f);
        return true;
    }

    /** Every stored pid; a file that cannot be read is reported through {@code broken} and left in place. */
    SortedMap<String, Map<String, String>> load(java.util.function.BiConsumer<Path, String> broken) {
        SortedMap<String, Map<String, String>> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String pid = name.substring(0, name.length() - SUFFIX.length());
                if (!validPid(pid)) {
                    broken.accept(f, "not a configuration pid");
                    continue;
                }
                try {
                    Map<String, String> m = GSON.fromJson(Files.readString(f, StandardCharsets.UTF_8),
                            new TypeToken<LinkedHashMap<String, String>>() { }.getType());
                    out.put(pid, Collections.unmodifiableMap(m == null ? Map.of() : m));
                } catch (IOException | JsonParseException e) {
                    broken.accept(f, e.getMessage());
                }
            }
        } catch (IOException e) {
            broken.accept(dir, e.getMessage());
        }
        return out;
    }

    private Path file(String pid) {
        if (!validPid(pid)) {
            throw new IllegalArgumentException("not a configuration pid: '" + pid + "'");
        }
        return dir.resolve(pid + SUFFIX);
    }
}
