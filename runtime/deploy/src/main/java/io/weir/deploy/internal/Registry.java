package io.weir.deploy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import io.weir.deploy.BundleState;
import io.weir.filter.FilterClass;
import io.weir.vscsi.durable.AtomicFiles;

/**
 * The deployed bundles of a runtime, kept in {@code <data>/filters/}: {@code registry.json} (replaced atomically
 * and durably on every change) and the stored copies under {@code bundles/}. Deploy refusals are kept beside
 * the deployed bundles (the latest per name, at most {@value #MAX_REFUSALS}) so {@code weir filter list} can say why.
 * Not thread-safe: the owner serialises access.
 */
final class Registry {
    static final int MAX_REFUSALS = 100;
    private static final int FORMAT = 1;

    private final Path dir;
    private final Path file;
    private final Map<String, Entry> deployed = new TreeMap<>();
    private final Map<String, Entry> refusals = new LinkedHashMap<>();
    /** Previous versions still installed because an upgrade could not move every disk off them, by name. */
    private final Map<String, List<Entry>> retained = new TreeMap<>();

    Registry(Path dir) {
        this.dir = dir;
        this.file = dir.resolve("registry.json");
    }

    Path bundleFolder() {
        return dir.resolve("bundles");
    }

    /** Where the certification reports of one bundle's exact bytes live. */
    Path reportFolder(String symbolicName, String sha256) {
        return dir.resolve("reports").resolve(symbolicName + "-" + sha256.substring(0, Math.min(16, sha256.length())));
    }

    static void deleteTree(Path folder) throws IOException {
        AtomicFiles.deleteTree(folder);
    }

    Path stagingFolder() {
        return dir.resolve("staging");
    }

    /** Read the registry; a missing file is an empty registry, a corrupt one an error naming the file. */
    void load() throws IOException {
        deployed.clear();
        refusals.clear();
        retained.clear();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return;
        }
        try {
            JsonObject root = JsonParser.parseString(text).getAsJsonObject();
            int format = root.get("format").getAsInt();
            if (format != FORMAT) {
                throw new IOException(file + " has format " + format + "; this runtime reads format " + FORMAT);
            }
            for (JsonElement e : root.getAsJsonArray("bundles")) {
                Entry entry = read(e.getAsJsonObject());
                deployed.put(entry.symbolicName(), entry);
            }
            for (JsonElement e : root.getAsJsonArray("refusals")) {
                Entry entry = read(e.getAsJsonObject());
                refusals.put(entry.symbolicName(), entry);
            }
            JsonArray kept = root.getAsJsonArray("retained"); // absent in registries written before upgrades existed
            if (kept != null) {
                for (JsonElement e : kept) {
                    Entry entry = read(e.getAsJsonObject());
                    retained.computeIfAbsent(entry.symbolicName(), k -> new ArrayList<>()).add(entry);
                }
            }
        } catch (JsonParseException | IllegalStateException | NullPointerException | IllegalArgumentException
                | UnsupportedOperationException e) {
            throw new IOException(file + " is corrupt (" + e.getMessage() + "); it was left as it is", e);
        }
    }

    Collection<Entry> deployed() {
        return List.copyOf(deployed.values());
    }

    Entry deployed(String symbolicName) {
        return deployed.get(symbolicName);
    }

    /** Deployed bundles and the refusals of names not deployed, sorted by name. */
    List<Entry> all() {
        Map<String, Entry> view = new TreeMap<>(refusals);
        view.putAll(deployed);
        return new ArrayList<>(view.values());
    }

    /** Earlier versions of {@code symbolicName} that unfinished upgrades keep installed, oldest first. */
    List<Entry> retained(String symbolicName) {
        return List.copyOf(retained.getOrDefault(symbolicName, List.of()));
    }

    /** Every retained earlier version. */
    List<Entry> retained() {
        return retained.values().stream().flatMap(List::stream).toList();
    }

    /** Record an upgrade in one durable update: {@code next} is deployed, {@code previous} stays installed for now. */
    void upgraded(Entry next, Entry previous) throws IOException {
        deployed.put(next.symbolicName(), next);
        refusals.remove(next.symbolicName());
        retained.computeIfAbsent(previous.symbolicName(), k -> new ArrayList<>()).add(previous);
        save();
    }

    /** Forget one retained earlier version (matched by its exact bytes). */
    void removeRetained(Entry old) throws IOException {
        List<Entry> list = retained.get(old.symbolicName());
        if (list != null && list.removeIf(e -> e.sha256().equals(old.sha256()))) {
            if (list.isEmpty()) {
                retained.remove(old.symbolicName());
            }
            save();
        }
    }

    void putDeployed(Entry entry) throws IOException {
        deployed.put(entry.symbolicName(), entry);
        refusals.remove(entry.symbolicName());
        save();
    }

    void putRefusal(Entry entry) throws IOException {
        refusals.remove(entry.symbolicName());
        refusals.put(entry.symbolicName(), entry);
        while (refusals.size() > MAX_REFUSALS) {
            refusals.remove(refusals.keySet().iterator().next());
        }
        save();
    }

    void remove(String symbolicName) throws IOException {
        deployed.remove(symbolicName);
        refusals.remove(symbolicName);
        save();
    }

    private void save() throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        JsonArray b = new JsonArray();
        deployed.values().forEach(e -> b.add(write(e)));
        root.add("bundles", b);
        JsonArray r = new JsonArray();
        refusals.values().forEach(e -> r.add(write(e)));
        root.add("refusals", r);
        JsonArray kept = new JsonArray();
        retained.values().forEach(l -> l.forEach(e -> kept.add(write(e))));
        root.add("retained", kept);
        AtomicFiles.write(file, (root + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static JsonObject write(Entry e) {
        JsonObject o = new JsonObject();
        o.addProperty("symbolicName", e.symbolicName());
        o.addProperty("version", e.version());
        o.addProperty("sha256", e.sha256());
        o.addProperty("file", e.file());
        o.addProperty("signer", e.signer());
        o.addProperty("signerRole", e.signerRole());
        o.add("declared", strings(e.declared().stream().map(Enum::name).sorted().toList()));
        o.add("allowed", strings(e.allowed().stream().map(Enum::name).sorted().toList()));
        o.add("filters", strings(e.filters()));
        o.addProperty("state", e.state().name());
        o.addProperty("judgedAt", e.judgedAt().toString());
        o.add("verdict", strings(e.verdict()));
        JsonObject settings = new JsonObject();
        new TreeMap<>(e.certification()).forEach(settings::addProperty);
        o.add("certification", settings);
        return o;
    }

    private static Entry read(JsonObject o) {
        return new Entry(o.get("symbolicName").getAsString(), o.get("version").getAsString(),
                o.get("sha256").getAsString(), o.get("file").getAsString(), o.get("signer").getAsString(),
                o.get("signerRole").getAsString(), classes(o.getAsJsonArray("declared")),
                classes(o.getAsJsonArray("allowed")), list(o.getAsJsonArray("filters")),
                BundleState.valueOf(o.get("state").getAsString()), Instant.parse(o.get("judgedAt").getAsString()),
                list(o.getAsJsonArray("verdict")), settings(o.getAsJsonObject("certification")));
    }

    /** Certification settings; absent in registries written before they existed. */
    private static Map<String, String> settings(JsonObject o) {
        Map<String, String> out = new TreeMap<>();
        if (o != null) {
            o.entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
        }
        return out;
    }

    private static JsonArray strings(Collection<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    private static List<String> list(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    private static Set<FilterClass> classes(JsonArray a) {
        Set<FilterClass> out = EnumSet.noneOf(FilterClass.class);
        a.forEach(e -> out.add(FilterClass.valueOf(e.getAsString())));
        return out;
    }
}
