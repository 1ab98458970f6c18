package io.weir.vscsi.store;

import io.weir.vscsi.durable.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.FilterAttachment;

/**
 * The disk catalog: {@code <dataDir>/catalog.json}, replaced atomically and durably on every change (see
 * {@link AtomicFiles}). A catalog that cannot be parsed is reported with the file and the problem and is
 * never overwritten by a load.
 */
public final class Catalog {
    /** Version of the catalog format this code writes and reads. */
    public static final int FORMAT = 1;

    private final Path file;

    public Catalog(Path dataDirectory) {
        this.file = dataDirectory.resolve("catalog.json");
    }

    public Path file() {
        return file;
    }

    public boolean exists() {
        return Files.exists(file);
    }

    /** Read every disk definition; an absent catalog is empty. */
    public List<DiskSpec> load() throws IOException {
        if (!exists()) {
            return List.of();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            JsonObject root = JsonParser.parseString(text).getAsJsonObject();
            int format = root.get("format").getAsInt();
            if (format != FORMAT) {
                throw invalid("format " + format + " is not supported (expected " + FORMAT + ")");
            }
            List<DiskSpec> disks = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            JsonArray array = root.getAsJsonArray("disks");
            for (int i = 0; i < array.size(); i++) {
                DiskSpec spec = readDisk(array.get(i).getAsJsonObject(), i);
                if (!seen.add(spec.id())) {
                    throw invalid("disk '" + spec.id() + "' is defined twice");
                }
                disks.add(spec);
            }
            return disks;
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException
                 | ClassCastException | NumberFormatException e) {
            throw invalid("it is not valid catalog JSON (" + e.getMessage() + ")");
        }
    }

    /** Replace the catalog with {@code disks}, atomically and durably. */
    public void save(List<DiskSpec> disks) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        JsonArray array = new JsonArray();
        for (DiskSpec d : disks) {
            array.add(writeDisk(d));
        }
        root.add("disks", array);
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(root) + "\n";
        AtomicFiles.write(file, json.getBytes(StandardCharsets.UTF_8));
    }

    private IOException invalid(String what) {
        return new IOException("catalog " + file + " is corrupt: " + what
                + "; it was left untouched: repair it or move it aside");
    }

    private DiskSpec readDisk(JsonObject o, int index) throws IOException {
        String id = o.get("id").getAsString();
        long capacity = o.get("capacity").getAsLong();
        int blockSize = o.get("blockSize").getAsInt();
        JsonObject backend = o.getAsJsonObject("backend");
        String type = backend.get("type").getAsString();
        Map<String, String> options = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : backend.getAsJsonObject("options").entrySet()) {
            options.put(e.getKey(), e.getValue().getAsString());
        }
        List<FilterAttachment> filters = new ArrayList<>();
        for (JsonElement f : o.getAsJsonArray("filters")) {
            JsonObject fo = f.getAsJsonObject();
            Map<String, Object> config = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : fo.getAsJsonObject("config").entrySet()) {
                config.put(e.getKey(), readValue(e.getValue(), id, e.getKey()));
            }
            filters.add(new FilterAttachment(fo.get("name").getAsString(), config,
                    fo.has("version") ? fo.get("version").getAsString() : ""));
        }
        return new DiskSpec(id, capacity, blockSize, type, options, filters);
    }

    private Object readValue(JsonElement e, String disk, String key) throws IOException {
        if (!e.isJsonPrimitive()) {
            throw invalid("disk '" + disk + "': filter setting '" + key + "' is not a string, number or boolean");
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            double d = p.getAsDouble();
            long l = p.getAsLong();
            return d == l ? (Object) l : (Object) d;
        }
        return p.getAsString();
    }

    private static JsonObject writeDisk(DiskSpec d) {
        JsonObject o = new JsonObject();
        o.addProperty("id", d.id());
        o.addProperty("capacity", d.capacity());
        o.addProperty("blockSize", d.blockSize());
        JsonObject backend = new JsonObject();
        backend.addProperty("type", d.backendType());
        JsonObject options = new JsonObject();
        d.backendOptions().forEach(options::addProperty);
        backend.add("options", options);
        o.add("backend", backend);
        JsonArray filters = new JsonArray();
        for (FilterAttachment f : d.filters()) {
            JsonObject fo = new JsonObject();
            fo.addProperty("name", f.filterName());
            if (!f.version().isEmpty()) {
                fo.addProperty("version", f.version());
            }
            JsonObject config = new JsonObject();
            f.config().forEach((k, v) -> {
                if (v instanceof Boolean b) {
                    config.addProperty(k, b);
                } else if (v instanceof Number n) {
                    config.addProperty(k, n);
                } else {
                    config.addProperty(k, String.valueOf(v));
                }
            });
            fo.add("config", config);
            filters.add(fo);
        }
        o.add("filters", filters);
        return o;
    }
}
