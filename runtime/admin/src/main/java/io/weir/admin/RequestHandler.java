package io.weir.admin;

import java.io.IOException;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import io.weir.admin.load.LoadGenerator;
import io.weir.admin.load.LoadResult;
import io.weir.admin.load.LoadSpec;
import io.weir.admin.load.Progress;
import io.weir.deploy.BundleUpgrade;
import io.weir.deploy.DeployException;
import io.weir.deploy.FilterBundles;
import io.weir.deploy.ServiceSettings;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskService;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.FilterInfo;
import io.weir.vscsi.VirtualDisk;

/**
 * Turns one request line into one response object. Never throws: every problem becomes an error response
 * with a code and one line of explanation. See the module's README for the ops and their fields.
 */
final class RequestHandler {
    /** Ops in the order {@code status} lists them. */
    static final List<String> OPS = List.of("status", "disk.create", "disk.list", "disk.info", "disk.grow",
            "disk.delete", "filter.list", "filter.attach", "filter.configure", "filter.detach", "bundle.deploy", "bundle.upgrade",
            "bundle.list", "bundle.undeploy", "settings.set", "settings.delete", "settings.list", "io", "shutdown");

    private static final System.Logger LOG = System.getLogger("io.weir.admin");
    private static final int MAX_NESTING = 32;

    /** Receives the lines an op streams before its response (progress of {@code io}). */
    @FunctionalInterface
    interface Sink {
        void send(JsonObject line) throws IOException;
    }

    /** A response and what to do once it has been written (the {@code shutdown} op stops the runtime then). */
    record Reply(JsonObject body, Runnable after) {
        Reply(JsonObject body) {
            this(body, null);
        }
    }

    /**
     * Facts about the runtime that {@code status} reports, and how to stop it.
     *
     * @param version      the runtime's version
     * @param startMillis  when the runtime started (epoch milliseconds)
     * @param dataDir      the data directory
     * @param socket       the admin socket's path
     * @param shutdown     stops the runtime; called after the {@code shutdown} response was written
     */
    record RuntimeInfo(String version, long startMillis, String dataDir, String socket, Runnable shutdown) {
    }

    private final DiskService disks;
    private final Supplier<FilterBundles> bundles;
    private final Supplier<ServiceSettings> settings;
    private final RuntimeInfo runtime;
    /** Running load generators by disk id; guarded by itself. */
    private final Map<String, List<Load>> loads = new HashMap<>();

    /** One running load generator and whether it verifies. */
    private record Load(LoadGenerator generator, boolean verify) {
    }
    private volatile boolean closed;

    RequestHandler(DiskService disks, RuntimeInfo runtime) {
        this(disks, () -> null, () -> null, runtime);
    }

    /**
     * @param bundles  the deploy pipeline, or null while none is available
     * @param settings the service settings, or null while none are available
     */
    RequestHandler(DiskService disks, Supplier<FilterBundles> bundles, Supplier<ServiceSettings> settings,
            RuntimeInfo runtime) {
        this.disks = disks;
        this.bundles = bundles;
        this.settings = settings;
        this.runtime = runtime;
    }

    /** Cancel running load generators and refuse new ones; they return their partial results. */
    void close() {
        synchronized (loads) {
            closed = true;
            loads.values().forEach(list -> list.forEach(l -> l.generator().cancel()));
        }
    }

    /** Handle one request line (UTF-8, without terminator). */
    Reply handle(byte[] line, Sink sink) {
        String op = "request";
        try {
            Request request = parse(line);
            op = request.op();
            return dispatch(request, sink);
        } catch (AdminException e) {
            return new Reply(Json.error(e.code(), e.getMessage()));
        } catch (DiskException e) {
            return new Reply(Json.error(ErrorCode.of(e.reason()), e.getMessage()));
        } catch (DeployException e) {
            JsonObject error = Json.error(ErrorCode.of(e.reason()), e.getMessage());
            error.add("reasons", Json.array(e.reasons()));
            return new Reply(error);
        } catch (RuntimeException | StackOverflowError e) {
            LOG.log(System.Logger.Level.ERROR, "admin op " + op + " failed", e);
            return new Reply(Json.error(ErrorCode.INTERNAL, op + " failed inside the runtime: " + e));
        }
    }

    /** A line that is too long to be a request. */
    Reply tooLarge(long length) {
        return new Reply(Json.error(ErrorCode.TOO_LARGE, "request line of " + length + " bytes exceeds the limit of "
                + AdminServer.MAX_LINE + " bytes"));
    }

    static Request parse(byte[] line) throws AdminException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            throw new AdminException(ErrorCode.BAD_JSON, "request is not valid UTF-8");
        }
        JsonElement element;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            reader.setNestingLimit(MAX_NESTING);
            element = JsonParser.parseReader(reader);
            boolean more;
            try {
                more = reader.peek() != JsonToken.END_DOCUMENT;
            } catch (IOException e) {
                more = true;
            }
            if (more) {
                throw new AdminException(ErrorCode.BAD_JSON, "request has more after its JSON value; send one object per line");
            }
        } catch (JsonParseException | IllegalStateException e) {
            throw new AdminException(ErrorCode.BAD_JSON, "request is not valid JSON: " + gsonMessage(e));
        }
        if (!element.isJsonObject()) {
            throw new AdminException(ErrorCode.BAD_JSON, "request must be a JSON object, got " + Request.describe(element));
        }
        JsonObject json = element.getAsJsonObject();
        JsonElement op = json.get("op");
        if (op == null || op.isJsonNull()) {
            throw new AdminException(ErrorCode.INVALID, "missing field 'op'");
        }
        if (!op.isJsonPrimitive() || !op.getAsJsonPrimitive().isString()) {
            throw new AdminException(ErrorCode.INVALID, "field 'op' must be a string, got " + Request.describe(op));
        }
        return new Request(json, op.getAsString());
    }

    /** Gson's message without its troubleshooting link, on one line. */
    private static String gsonMessage(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause().getMessage() != null) {
            t = t.getCause(); // gson wraps the reader's exception and prefixes its class name
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (m.length() > 1 && Character.isUpperCase(m.charAt(0)) && Character.isLowerCase(m.charAt(1))) {
            m = Character.toLowerCase(m.charAt(0)) + m.substring(1);
        }
        int see = m.indexOf("\nSee ");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        String lenientHint = "use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON";
        if (m.startsWith(lenientHint)) {
            m = "malformed JSON" + m.substring(lenientHint.length());
        }
        return Json.oneLine(m);
    }

    private Reply dispatch(Request r, Sink sink) throws AdminException, DiskException, DeployException {
        switch (r.op()) {
            case "status":
                r.onlyFields(Set.of());
                return ok(status());
            case "disk.create":
                return ok(create(r));
            case "disk.list": {
                r.onlyFields(Set.of());
                JsonArray list = new JsonArray();
                disks.list().forEach(d -> list.add(Json.disk(d)));
                JsonObject o = Json.ok();
                o.add("disks", list);
                return new Reply(o);
            }
            case "disk.info": {
                r.onlyFields(Set.of("id"));
                return disk(disks.info(r.string("id")));
            }
            case "disk.grow": {
                r.onlyFields(Set.of("id", "size"));
                return disk(disks.grow(r.string("id"), positive(r, "size")));
            }
            case "disk.delete": {
                r.onlyFields(Set.of("id"));
                disks.delete(r.string("id"));
                return new Reply(Json.ok());
            }
            case "filter.list": {
                r.onlyFields(Set.of());
                JsonObject o = Json.ok();
                o.add("filters", filters());
                return new Reply(o);
            }
            case "filter.attach": {
                r.onlyFields(Set.of("disk", "filter", "config"));
                return disk(disks.attachFilter(r.string("disk"), r.string("filter"), r.scalarMap("config")));
            }
            case "filter.configure": {
                r.onlyFields(Set.of("disk", "filter", "config"));
                DiskService.Reconfigured done = disks.reconfigureFilter(r.string("disk"), r.string("filter"),
                        r.scalarMap("config"));
                JsonObject o = Json.ok();
                o.add("disk", Json.disk(done.disk()));
                done.swap().ifPresent(sw -> o.add("swap", Json.swap(sw)));
                return new Reply(o);
            }
            case "filter.detach": {
                r.onlyFields(Set.of("disk", "filter", "erase"));
                return disk(disks.detachFilter(r.string("disk"), r.string("filter"), r.bool("erase", false)));
            }
            case "bundle.deploy": {
                r.onlyFields(Set.of("path", "certification"));
                String path = absolutePath(r, "bundle.deploy");
                JsonObject o = Json.ok();
                o.add("bundle", Json.bundle(deployer().deploy(Path.of(path), certification(r))));
                return new Reply(o);
            }
            case "bundle.upgrade":
                return upgrade(r, sink);
            case "bundle.list": {
                r.onlyFields(Set.of());
                JsonArray list = new JsonArray();
                deployer().list().forEach(b -> list.add(Json.bundle(b)));
                JsonObject o = Json.ok();
                o.add("bundles", list);
                return new Reply(o);
            }
            case "bundle.undeploy": {
                r.onlyFields(Set.of("name"));
                deployer().undeploy(r.string("name"));
                return new Reply(Json.ok());
            }
            case "settings.set": {
                r.onlyFields(Set.of("pid", "settings"));
                Map<String, String> values = new java.util.TreeMap<>();
                r.scalarMap("settings").forEach((k, v) -> values.put(k, String.valueOf(v)));
                JsonObject o = Json.ok();
                o.addProperty("pid", r.string("pid"));
                o.add("settings", Json.strings(settings().set(r.string("pid"), values)));
                return new Reply(o);
            }
            case "settings.delete": {
                r.onlyFields(Set.of("pid"));
                settings().delete(r.string("pid"));
                return new Reply(Json.ok());
            }
            case "settings.list": {
                r.onlyFields(Set.of());
                JsonObject all = new JsonObject();
                settings().list().forEach((pid, values) -> all.add(pid, Json.strings(values)));
                JsonObject o = Json.ok();
                o.add("settings", all);
                return new Reply(o);
            }
            case "io":
                return io(r, sink);
            case "shutdown":
                r.onlyFields(Set.of());
                JsonObject o = Json.ok();
                o.addProperty("stopping", true);
                return new Reply(o, runtime.shutdown());
            default:
                throw new AdminException(ErrorCode.UNKNOWN_OP, "unknown op '" + Json.oneLine(r.op()) + "' (known: "
                        + String.join(", ", OPS) + ")");
        }
    }

    /** {@code bundle.upgrade}: streams one progress line per disk moved, then the whole result. */
    private Reply upgrade(Request r, Sink sink) throws AdminException, DeployException {
        r.onlyFields(Set.of("path", "certification"));
        String path = absolutePath(r, "bundle.upgrade");
        BundleUpgrade up = deployer().upgrade(Path.of(path), certification(r), move -> {
            JsonObject line = new JsonObject();
            line.add("progress", Json.move(move));
            try {
                sink.send(line);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "client left during an upgrade; it carries on: " + e.getMessage());
            }
        });
        JsonObject o = Json.ok();
        o.add("bundle", Json.bundle(up.bundle()));
        o.addProperty("previousVersion", up.previousVersion());
        JsonArray moves = new JsonArray();
        up.moves().forEach(m -> moves.add(Json.move(m)));
        o.add("moves", moves);
        JsonArray still = new JsonArray();
        up.stillServing().forEach(still::add);
        o.add("stillServing", still);
        o.addProperty("previousRemoved", up.previousRemoved());
        return new Reply(o);
    }

    /** The optional {@code certification} field: filter settings for the deploy pipeline's certification step. */
    private static Map<String, String> certification(Request r) throws AdminException {
        Map<String, String> out = new java.util.TreeMap<>();
        if (r.has("certification")) {
            r.scalarMap("certification").forEach((k, v) -> out.put(k, String.valueOf(v)));
        }
        return out;
    }

    private static String absolutePath(Request r, String op) throws AdminException {
        String path = r.string("path");
        if (!path.startsWith("/")) {
            throw r.invalid("field 'path' of " + op + " must be an absolute path, got '" + Json.oneLine(path) + "'");
        }
        return path;
    }

    private ServiceSettings settings() throws AdminException {
        ServiceSettings s = settings.get();
        if (s == null) {
            throw new AdminException(ErrorCode.UNAVAILABLE, "service settings are not available in this runtime"
                    + " (the weir-deploy bundle is not active, or Configuration Admin or Metatype is missing)");
        }
        return s;
    }

    private FilterBundles deployer() throws AdminException {
        FilterBundles b = bundles.get();
        if (b == null) {
            throw new AdminException(ErrorCode.UNAVAILABLE, "filter deployment is not available in this runtime"
                    + " (the weir-deploy bundle is not active)");
        }
        return b;
    }

    private static Reply ok(JsonObject body) {
        body.addProperty("ok", true);
        return new Reply(body);
    }

    private static Reply disk(DiskInfo info) {
        JsonObject o = Json.ok();
        o.add("disk", Json.disk(info));
        return new Reply(o);
    }

    private JsonArray filters() {
        JsonArray list = new JsonArray();
        for (FilterInfo f : disks.filters()) {
            list.add(Json.filter(f));
        }
        return list;
    }

    private JsonObject status() {
        JsonObject o = new JsonObject();
        o.addProperty("version", runtime.version());
        o.addProperty("pid", ProcessHandle.current().pid());
        o.addProperty("startedAt", runtime.startMillis());
        o.addProperty("uptimeMs", Math.max(0, System.currentTimeMillis() - runtime.startMillis()));
        o.addProperty("dataDir", runtime.dataDir());
        o.addProperty("socket", runtime.socket());
        o.addProperty("java", System.getProperty("java.version"));
        o.addProperty("jvmUptimeMs", ManagementFactory.getRuntimeMXBean().getUptime());
        JsonArray list = new JsonArray();
        for (DiskInfo d : disks.list()) {
            JsonObject j = new JsonObject();
            j.addProperty("id", d.spec().id());
            j.addProperty("state", String.valueOf(d.state()));
            j.addProperty("reason", d.reason() == null ? "" : d.reason());
            j.addProperty("capacity", d.spec().capacity());
            j.addProperty("backend", d.spec().backendType());
            j.add("stack", Json.array(d.stack().stream().map(l -> l.filterName()).toList()));
            list.add(j);
        }
        o.add("disks", list);
        o.add("filters", filters());
        o.add("ops", Json.array(OPS));
        return o;
    }

    private JsonObject create(Request r) throws AdminException, DiskException {
        r.onlyFields(Set.of("id", "size", "blockSize", "backend", "options"));
        String id = r.string("id");
        long size = positive(r, "size");
        long blockSize = r.integer("blockSize", 512);
        if (blockSize != 512 && blockSize != 4096) {
            throw r.invalid("field 'blockSize' of disk.create must be 512 or 4096, got " + blockSize);
        }
        if (size % blockSize != 0) {
            throw r.invalid("size " + size + " is not a multiple of the block size " + blockSize);
        }
        String backend = r.string("backend", "file");
        Map<String, String> options = r.stringMap("options");
        DiskInfo info = disks.create(new DiskSpec(id, size, (int) blockSize, backend, options, List.of()));
        JsonObject o = new JsonObject();
        o.add("disk", Json.disk(info));
        return o;
    }

    private static long positive(Request r, String field) throws AdminException {
        long v = r.integer(field);
        if (v <= 0) {
            throw r.invalid("field '" + field + "' of " + r.op() + " must be a positive number of bytes, got " + v);
        }
        return v;
    }

    private Reply io(Request r, Sink sink) throws AdminException, DiskException {
        r.onlyFields(Set.of("disk", "pattern", "readPct", "bs", "qd", "timeMs", "bytes", "offset", "length", "verify",
                "seed", "progress"));
        String id = r.string("disk");
        LoadSpec.Pattern pattern;
        try {
            pattern = LoadSpec.Pattern.parse(r.string("pattern", "random"));
        } catch (IllegalArgumentException e) {
            throw r.invalid(e.getMessage());
        }
        int readPct = (int) r.integer("readPct", 70, 0, 100);
        int bs = (int) r.integer("bs", 4096, 1, Integer.MAX_VALUE);
        int qd = (int) r.integer("qd", 32, 1, LoadSpec.MAX_QUEUE_DEPTH);
        if (r.has("timeMs") && r.has("bytes")) {
            throw r.invalid("give either 'timeMs' or 'bytes' to io, not both");
        }
        long bytes = r.integer("bytes", 0, 0, Long.MAX_VALUE);
        long timeMs = r.integer("timeMs", bytes > 0 ? 0 : 10_000, 0, TimeUnit.DAYS.toMillis(7));
        if (bytes == 0 && timeMs == 0) {
            throw r.invalid("io needs a positive 'timeMs' or 'bytes'");
        }
        long offset = r.integer("offset", 0, 0, Long.MAX_VALUE);
        long length = r.integer("length", 0, 0, Long.MAX_VALUE);
        boolean verify = r.bool("verify", false);
        long seed = r.has("seed") ? r.integer("seed") : System.nanoTime() & 0xFFFF_FFFFL;
        boolean progress = r.bool("progress", false);
        LoadSpec spec;
        try {
            spec = new LoadSpec(pattern, readPct, bs, qd, TimeUnit.MILLISECONDS.toNanos(timeMs), bytes, offset, length,
                    verify, seed);
        } catch (IllegalArgumentException e) {
            throw r.invalid(e.getMessage());
        }
        VirtualDisk disk = serving(id);
        LoadGenerator generator;
        try {
            generator = new LoadGenerator(disk, spec);
        } catch (IllegalArgumentException e) {
            throw r.invalid(e.getMessage());
        }
        Load load = new Load(generator, verify);
        register(id, load);
        LoadResult result;
        try {
            result = generator.run(progress ? p -> sink.send(progressLine(p)) : null);
        } finally {
            synchronized (loads) {
                loads.get(id).remove(load);
            }
        }
        JsonObject body = result(disk.id(), result);
        if (result.clean() && !result.cancelled()) {
            JsonObject o = Json.ok();
            o.add("result", body);
            return new Reply(o);
        }
        JsonObject o;
        if (result.verifyFailures() > 0 || result.errors() > 0) {
            String first = result.problems().isEmpty() ? "" : "; first: " + result.problems().get(0);
            o = Json.error(result.verifyFailures() > 0 ? ErrorCode.VERIFY_FAILED : ErrorCode.IO,
                    result.verifyFailures() + " verify failure(s) and " + result.errors() + " I/O error(s) on disk '"
                            + disk.id() + "'" + first);
        } else {
            o = Json.error(ErrorCode.BUSY, "the run was cancelled after " + result.ops() + " requests (client gone or runtime stopping)");
        }
        o.add("result", body);
        return new Reply(o);
    }

    /**
     * Admit a load run on disk {@code id}. A verifying run must be alone on its disk: another run's writes would
     * look like corruption to it.
     */
    private void register(String id, Load load) throws AdminException {
        synchronized (loads) {
            if (closed) {
                throw new AdminException(ErrorCode.BUSY, "the runtime is stopping");
            }
            List<Load> running = loads.computeIfAbsent(id, k -> new ArrayList<>());
            boolean verifying = running.stream().anyMatch(Load::verify);
            if (!running.isEmpty() && (load.verify() || verifying)) {
                throw new AdminException(ErrorCode.BUSY, "disk '" + id + "' already has " + running.size() + " load run(s)"
                        + (verifying ? " with verify" : "") + "; a verifying run must be the only one on its disk");
            }
            running.add(load);
        }
    }

    /** The open disk, or a precise reason why there is none. */
    private VirtualDisk serving(String id) throws AdminException, DiskException {
        Optional<VirtualDisk> disk = disks.disk(id);
        if (disk.isPresent()) {
            return disk.get();
        }
        DiskInfo info = disks.info(id); // NOT_FOUND when there is no such disk
        String reason = info.reason() == null || info.reason().isEmpty() ? "" : ": " + info.reason();
        throw new AdminException(ErrorCode.UNAVAILABLE, "disk '" + id + "' is not serving I/O (" + info.state() + reason + ")");
    }

    private static JsonObject progressLine(Progress p) {
        JsonObject o = new JsonObject();
        o.addProperty("elapsedMs", TimeUnit.NANOSECONDS.toMillis(p.elapsedNanos()));
        o.addProperty("ops", p.ops());
        o.addProperty("bytes", p.bytes());
        o.addProperty("iops", round(p.iops()));
        o.addProperty("mbPerSec", round(p.megabytesPerSecond()));
        o.addProperty("errors", p.errors());
        o.addProperty("verifyFailures", p.verifyFailures());
        JsonObject line = new JsonObject();
        line.add("progress", o);
        return line;
    }

    static JsonObject result(String diskId, LoadResult r) {
        LoadSpec s = r.spec();
        JsonObject o = new JsonObject();
        o.addProperty("disk", diskId);
        o.addProperty("pattern", s.pattern().toString());
        o.addProperty("readPct", s.readPercent());
        o.addProperty("bs", s.blockSize());
        o.addProperty("qd", s.queueDepth());
        o.addProperty("verify", s.verify());
        o.addProperty("seed", s.seed());
        o.addProperty("regionOffset", s.regionOffset());
        o.addProperty("regionLength", r.regionLength());
        o.addProperty("elapsedMs", round(r.elapsedNanos() / 1e6));
        o.addProperty("ops", r.ops());
        o.addProperty("reads", r.reads());
        o.addProperty("writes", r.writes());
        o.addProperty("bytesRead", r.bytesRead());
        o.addProperty("bytesWritten", r.bytesWritten());
        o.addProperty("iops", round(r.iops()));
        o.addProperty("mbPerSec", round(r.megabytesPerSecond()));
        long[] lat = r.latency();
        JsonObject latency = new JsonObject();
        String[] names = {"p50", "p90", "p99", "p99.9", "max"};
        for (int i = 0; i < names.length; i++) {
            latency.addProperty(names[i], round(lat[i] / 1e3));
        }
        o.add("latencyUs", latency);
        o.addProperty("errors", r.errors());
        o.addProperty("verifyFailures", r.verifyFailures());
        o.addProperty("verifiedReads", r.verifiedReads());
        o.add("problems", Json.array(r.problems()));
        o.addProperty("flushed", r.flushed());
        o.addProperty("cancelled", r.cancelled());
        o.addProperty("stoppedEarly", r.stoppedEarly());
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
