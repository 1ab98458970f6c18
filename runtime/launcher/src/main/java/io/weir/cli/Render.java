package io.weir.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/** Human renderings of the admin protocol's objects. */
final class Render {
    private Render() {
    }

    /** Print a listing to {@code out}: JSON for scripts, a line saying there is nothing, or a table. */
    static Integer printList(PrintWriter out, JsonArray items, boolean json, String none,
            Function<JsonArray, Table> table) {
        if (json) {
            printJson(out, items);
        } else if (items.isEmpty()) {
            out.println(none);
        } else {
            table.apply(items).print(out, "");
        }
        out.flush();
        return ExitCode.OK;
    }

    /** Print {@code json} to {@code out} for scripts: indented, one value. */
    static void printJson(PrintWriter out, JsonElement json) {
        out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json));
        out.flush();
    }

    static String str(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }

    static long num(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? 0 : e.getAsLong();
    }

    static String names(JsonArray array, String field) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : array) {
            out.add(e.isJsonObject() ? str(e.getAsJsonObject(), field) : e.getAsString());
        }
        return out.isEmpty() ? "-" : String.join(",", out);
    }

    static String keyValues(JsonObject map) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : map.entrySet()) {
            out.add(e.getKey() + "=" + (e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : e.getValue().toString()));
        }
        return out.isEmpty() ? "-" : String.join(", ", out);
    }

    /** State, with the reason when there is one. */
    static String state(JsonObject disk) {
        String reason = str(disk, "reason");
        return str(disk, "state") + (reason.isEmpty() ? "" : " (" + reason + ")");
    }

    /** One table of disks: name, size, block size, backend, state, filters, reason. */
    static Table disks(JsonArray disks) {
        Table t = new Table("NAME", "SIZE", "BLOCK", "BACKEND", "STATE", "FILTERS", "REASON").rightAligned(1, 2);
        for (JsonElement e : disks) {
            JsonObject d = e.getAsJsonObject();
            t.row(str(d, "id"), Sizes.format(num(d, "capacity")), num(d, "blockSize"), str(d, "backend"), str(d, "state"),
                    names(d.getAsJsonArray("stack"), "name"), str(d, "reason"));
        }
        return t;
    }

    static Table filters(JsonArray filters) {
        Table t = new Table("NAME", "CLASS", "ORDER", "BUNDLE", "DISKS").rightAligned(2);
        for (JsonElement e : filters) {
            JsonObject f = e.getAsJsonObject();
            t.row(str(f, "name"), str(f, "class"), num(f, "order"), str(f, "bundle"), names(f.getAsJsonArray("disks"), null));
        }
        return t;
    }

    static Table bundles(JsonArray bundles) {
        Table t = new Table("BUNDLE", "VERSION", "STATE", "SIGNER", "ROLE", "CLASSES", "FILTERS");
        for (JsonElement e : bundles) {
            JsonObject b = e.getAsJsonObject();
            t.row(str(b, "name"), str(b, "version"), str(b, "state"), str(b, "signer").isEmpty() ? "-" : str(b, "signer"),
                    str(b, "role").isEmpty() ? "-" : str(b, "role"), names(b.getAsJsonArray("classes"), null),
                    names(b.getAsJsonArray("filters"), null));
        }
        return t;
    }

    /** A refusal whose response lists its reasons: the message, then every reason on a line of its own. */
    static WeirException withReasons(AdminClient.RemoteException e) {
        JsonObject r = e.response();
        if (r == null || !r.has("reasons") || r.getAsJsonArray("reasons").isEmpty()) {
            return e;
        }
        StringBuilder b = new StringBuilder(e.getMessage());
        r.getAsJsonArray("reasons").forEach(x -> b.append("\n  ").append(x.getAsString()));
        return new WeirException(e.exitCode(), b.toString());
    }

    /** All of one disk, as aligned key/value lines. */
    static void disk(PrintWriter out, JsonObject d) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"name", str(d, "id")});
        lines.add(new String[] {"size", Sizes.format(num(d, "capacity")) + " (" + num(d, "capacity") + " bytes)"});
        lines.add(new String[] {"block size", String.valueOf(num(d, "blockSize"))});
        lines.add(new String[] {"backend", str(d, "backend")});
        lines.add(new String[] {"options", keyValues(d.getAsJsonObject("options"))});
        lines.add(new String[] {"state", state(d)});
        lines.add(new String[] {"capabilities", names(d.getAsJsonArray("capabilities"), null)});
        JsonArray stack = d.getAsJsonArray("stack");
        if (stack.isEmpty()) {
            lines.add(new String[] {"stack", "- (no filters)"});
        }
        int i = 1;
        for (JsonElement e : stack) {
            JsonObject l = e.getAsJsonObject();
            lines.add(new String[] {i == 1 ? "stack" : "", i + ". " + str(l, "name") + " (" + str(l, "class") + ", "
                    + str(l, "bundle") + ", " + num(l, "faults") + " faults"
                    + (str(l, "fenced").isEmpty() ? "" : ", FENCED " + str(l, "fencePolicy") + ": " + str(l, "fenced")) + ")"});
            i++;
        }
        for (JsonElement e : d.getAsJsonArray("filters")) {
            JsonObject f = e.getAsJsonObject();
            if (f.has("config") && !f.getAsJsonObject("config").isEmpty()) {
                lines.add(new String[] {"config " + str(f, "name"), keyValues(f.getAsJsonObject("config"))});
            }
        }
        for (JsonElement e : stack) {
            JsonObject l = e.getAsJsonObject();
            if (l.has("metrics") && !l.getAsJsonObject("metrics").isEmpty()) {
                lines.add(new String[] {"metrics " + str(l, "name"), keyValues(l.getAsJsonObject("metrics"))});
            }
        }
        if (d.has("stats")) {
            JsonObject s = d.getAsJsonObject("stats");
            lines.add(new String[] {"requests", num(s, "completed") + " completed, " + num(s, "failed") + " failed, "
                    + num(s, "rejected") + " rejected, " + num(s, "inFlight") + " in flight, " + num(s, "parked") + " parked"});
            lines.add(new String[] {"data", Sizes.format(num(s, "bytesRead")) + " read, " + Sizes.format(num(s, "bytesWritten"))
                    + " written"});
        }
        int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0);
        for (String[] l : lines) {
            out.println(l[0] + " ".repeat(width - l[0].length() + 2) + l[1]);
        }
        out.flush();
    }
}
