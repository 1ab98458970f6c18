package io.weir.vscsi.store;

import io.weir.vscsi.durable.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import io.weir.filter.Sidecar;

/**
 * The sidecars of one disk: one file per filter, {@code <directory>/<filter>.sidecar}, rewritten atomically
 * on every update. Format: magic {@code WEIRSC01}, entry count, entries (key length, UTF-8 key, value length,
 * value), CRC32C of all that. A file whose magic or checksum is wrong is reported, never emptied.
 */
public final class SidecarStore {
    /** Largest total size of one filter's sidecar. */
    public static final int MAX_BYTES = 16 << 20;
    private static final byte[] MAGIC = "WEIRSC01".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final Path directory;
    private final Map<String, FileSidecar> open = new ConcurrentHashMap<>();

    /** @param directory where the files live; {@code null} for a disk without sidecars (every use fails) */
    public SidecarStore(Path directory) {
        this.directory = directory;
    }

    /** The sidecar of one filter. */
    public Sidecar forFilter(String filterName) {
        return open.computeIfAbsent(filterName, FileSidecar::new);
    }

    /** Remove one filter's sidecar (when the filter is detached for good). */
    public void remove(String filterName) throws IOException {
        open.remove(filterName);
        if (directory != null) {
            AtomicFiles.delete(directory.resolve(filterName + ".sidecar"));
        }
    }

    static byte[] encode(Map<String, byte[]> values) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeInt(values.size());
        for (Map.Entry<String, byte[]> e : new TreeMap<>(values).entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.writeShort(key.length);
            out.write(key);
            out.writeInt(e.getValue().length);
            out.write(e.getValue());
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }

    static Map<String, byte[]> decode(byte[] data, Path file) throws IOException {
        if (data.length < MAGIC.length + 8 || !Arrays.equals(Arrays.copyOf(data, MAGIC.length), MAGIC)) {
            throw new IOException("sidecar " + file + " is corrupt: not a Weir sidecar (bad magic)");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(data);
        if (buf.getInt(data.length - 4) != (int) crc.getValue()) {
            throw new IOException("sidecar " + file + " is corrupt: checksum mismatch");
        }
        buf.limit(data.length - 4).position(MAGIC.length);
        try {
            int count = buf.getInt();
            Map<String, byte[]> values = new HashMap<>();
            for (int i = 0; i < count; i++) {
                byte[] key = new byte[buf.getShort() & 0xffff];
                buf.get(key);
                byte[] value = new byte[buf.getInt()];
                buf.get(value);
                values.put(new String(key, StandardCharsets.UTF_8), value);
            }
            if (buf.hasRemaining()) {
                throw new IOException("sidecar " + file + " is corrupt: trailing bytes");
            }
            return values;
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw new IOException("sidecar " + file + " is corrupt: truncated entry", e);
        }
    }

    private final class FileSidecar implements Sidecar {
        private final String filterName;
        private Map<String, byte[]> values;

        FileSidecar(String filterName) {
            this.filterName = filterName;
        }

        private Path file() throws IOException {
            if (directory == null) {
                throw new IOException("disk has no sidecar directory; filter '" + filterName + "' cannot store metadata");
            }
            return directory.resolve(filterName + ".sidecar");
        }

        private Map<String, byte[]> loaded() throws IOException {
            if (values == null) {
                Path file = file();
                try {
                    values = decode(Files.readAllBytes(file), file);
                } catch (NoSuchFileException e) {
                    values = new HashMap<>();
                }
            }
            return values;
        }

        @Override
        public synchronized Optional<byte[]> get(String key) throws IOException {
            byte[] v = loaded().get(key);
            return v == null ? Optional.empty() : Optional.of(v.clone());
        }

        @Override
        public synchronized Set<String> keys() throws IOException {
            return Set.copyOf(loaded().keySet());
        }

        @Override
        public void put(String key, byte[] value) throws IOException {
            update(Map.of(key, value), Set.of());
        }

        @Override
        public void delete(String key) throws IOException {
            update(Map.of(), Set.of(key));
        }

        @Override
        public synchronized void update(Map<String, byte[]> puts, Set<String> deletes) throws IOException {
            for (String key : puts.keySet()) {
                checkKey(key);
            }
            Map<String, byte[]> next = new HashMap<>(loaded());
            for (String key : deletes) {
                next.remove(key);
            }
            long size = 0;
            for (Map.Entry<String, byte[]> e : puts.entrySet()) {
                next.put(e.getKey(), e.getValue().clone());
            }
            for (Map.Entry<String, byte[]> e : next.entrySet()) {
                size += e.getKey().length() + e.getValue().length + 6L;
            }
            if (size > MAX_BYTES) {
                throw new IOException("sidecar of filter '" + filterName + "' would exceed " + MAX_BYTES + " bytes");
            }
            AtomicFiles.write(file(), encode(next));
            values = next;
        }

        private void checkKey(String key) {
            if (key == null || !KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("sidecar key must be 1-128 letters, digits, '.', '-' or '_': " + key);
            }
        }
    }
}
