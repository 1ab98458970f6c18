package io.weir.admin;

import java.util.Collection;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import io.weir.deploy.DeployedBundle;
import io.weir.filter.Capability;
import io.weir.vscsi.DiskInfo;
import io.weir.vscsi.DiskSpec;
import io.weir.vscsi.DiskStats;
import io.weir.vscsi.FilterAttachment;
import io.weir.vscsi.FilterInfo;
import io.weir.vscsi.FilterMove;
import io.weir.vscsi.LayerInfo;
import io.weir.vscsi.SwapReport;

/** How the service API's records appear in responses. Field names are part of the admin protocol. */
final class Json {
    private Json() {
    }

    /** A disk in full: definition, state, negotiated capabilities, stack and counters. */
    static JsonObject disk(DiskInfo info) {
        DiskSpec spec = info.spec();
        JsonObject o = new JsonObject();
        o.addProperty("id", spec.id());
        o.addProperty("capacity", spec.capacity());
        o.addProperty("blockSize", spec.blockSize());
        o.addProperty("backend", spec.backendType());
        o.add("options", strings(spec.backendOptions()));
        o.addProperty("state", String.valueOf(info.state()));
        o.addProperty("reason", info.reason() == null ? "" : info.reason());
        JsonArray caps = new JsonArray();
        info.capabilities().stream().map(Capability::name).sorted().forEach(caps::add);
        o.add("capabilities", caps);
        JsonArray policy = new JsonArray();
        for (FilterAttachment a : spec.filters()) {
            JsonObject f = new JsonObject();
            f.addProperty("name", a.filterName());
            f.add("config", scalars(a.config()));
            policy.add(f);
        }
        o.add("filters", policy);
        JsonArray stack = new JsonArray();
        for (LayerInfo layer : info.stack()) {
            JsonObject l = new JsonObject();
            l.addProperty("name", layer.filterName());
            l.addProperty("class", String.valueOf(layer.filterClass()));
            l.addProperty("bundle", layer.bundle());
            l.addProperty("faults", layer.faults());
            l.addProperty("fenced", layer.fenced());
            l.addProperty("fencePolicy", layer.policy().name());
            l.add("metrics", scalars(layer.metrics()));
            stack.add(l);
        }
        o.add("stack", stack);
        if (info.stats() != null) {
            o.add("stats", stats(info.stats()));
        }
        return o;
    }

    static JsonObject stats(DiskStats s) {
        JsonObject o = new JsonObject();
        o.addProperty("completed", s.completed());
        o.addProperty("failed", s.failed());
        o.addProperty("rejected", s.rejected());
        o.addProperty("inFlight", s.inFlight());
        o.addProperty("parked", s.parked());
        o.addProperty("bytesRead", s.bytesRead());
        o.addProperty("bytesWritten", s.bytesWritten());
        return o;
    }

    static JsonObject filter(FilterInfo info) {
        JsonObject o = new JsonObject();
        o.addProperty("name", info.filterName());
        o.addProperty("class", String.valueOf(info.filterClass()));
        o.addProperty("order", info.filterClass() == null ? 0 : info.filterClass().order());
        o.addProperty("bundle", info.bundle());
        o.add("disks", array(info.disks()));
        return o;
    }

    /** How one live swap went. */
    static JsonObject swap(SwapReport sw) {
        JsonObject j = new JsonObject();
        j.addProperty("stallMillis", sw.stallMillis());
        j.addProperty("parked", sw.parked());
        j.addProperty("stateKeys", sw.stateKeys());
        j.addProperty("stateBytes", sw.stateBytes());
        return j;
    }

    /** One disk's move during an upgrade. */
    static JsonObject move(FilterMove m) {
        JsonObject o = new JsonObject();
        o.addProperty("disk", m.diskId());
        o.addProperty("filter", m.filterName());
        o.addProperty("from", m.from());
        o.addProperty("to", m.to());
        o.addProperty("moved", m.moved());
        m.swap().ifPresent(sw -> o.add("swap", swap(sw)));
        if (!m.moved()) {
            o.addProperty("failure", oneLine(m.failure()));
        }
        return o;
    }

    static JsonObject bundle(DeployedBundle b) {
        JsonObject o = new JsonObject();
        o.addProperty("name", b.symbolicName());
        o.addProperty("version", b.version());
        o.addProperty("sha256", b.sha256());
        o.addProperty("signer", b.signer());
        o.addProperty("role", b.signerRole());
        o.add("classes", array(b.declaredClasses().stream().map(Enum::name).toList()));
        o.add("filters", array(b.filters()));
        o.addProperty("state", b.state().name());
        o.addProperty("judgedAt", b.judgedAt().toString());
        o.add("verdict", array(b.verdict()));
        return o;
    }

    static JsonArray array(Collection<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    static JsonObject strings(Map<String, String> map) {
        JsonObject o = new JsonObject();
        map.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> o.addProperty(e.getKey(), e.getValue()));
        return o;
    }

    static JsonObject scalars(Map<String, Object> map) {
        JsonObject o = new JsonObject();
        map.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Object v = e.getValue();
            if (v instanceof Number) {
                o.addProperty(e.getKey(), (Number) v);
            } else if (v instanceof Boolean) {
                o.addProperty(e.getKey(), (Boolean) v);
            } else {
                o.addProperty(e.getKey(), String.valueOf(v));
            }
        });
        return o;
    }

    static JsonObject error(ErrorCode code, String message) {
        JsonObject o = new JsonObject();
        o.addProperty("ok", false);
        o.addProperty("error", oneLine(message));
        o.addProperty("code", code.name());
        return o;
    }

    static JsonObject ok() {
        JsonObject o = new JsonObject();
        o.addProperty("ok", true);
        return o;
    }

    /** Messages are one line: line breaks and control characters become spaces. */
    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "unspecified error";
        }
        StringBuilder b = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            b.append(Character.isISOControl(c) ? ' ' : c);
        }
        return b.toString().strip();
    }
}
