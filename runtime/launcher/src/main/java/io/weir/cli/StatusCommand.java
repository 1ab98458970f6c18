package io.weir.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir status}: the runtime, its disks and filters. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the runtime, its disks and its filters.")
final class StatusCommand extends ClientCommand {
    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    public Integer call() throws WeirException {
        JsonObject s = call(AdminClient.op("status"));
        s.remove("ok");
        if (json) {
            printJson(s);
            return ExitCode.OK;
        }
        JsonArray disks = s.getAsJsonArray("disks");
        long online = 0;
        for (JsonElement d : disks) {
            online += "ONLINE".equals(Render.str(d.getAsJsonObject(), "state")) ? 1 : 0;
        }
        JsonArray filters = s.getAsJsonArray("filters");
        out().println("runtime   weir " + Render.str(s, "version") + ", pid " + Render.num(s, "pid") + ", up "
                + Durations.format(Render.num(s, "uptimeMs")) + ", Java " + Render.str(s, "java"));
        out().println("data dir  " + Render.str(s, "dataDir"));
        out().println("socket    " + Render.str(s, "socket"));
        out().println("disks     " + disks.size() + " (" + online + " online)");
        if (!disks.isEmpty()) {
            Table t = new Table("NAME", "STATE", "SIZE", "BACKEND", "FILTERS", "REASON").rightAligned(2);
            for (JsonElement e : disks) {
                JsonObject d = e.getAsJsonObject();
                t.row(Render.str(d, "id"), Render.str(d, "state"), Sizes.format(Render.num(d, "capacity")),
                        Render.str(d, "backend"), Render.names(d.getAsJsonArray("stack"), null), Render.str(d, "reason"));
            }
            t.print(out(), "  ");
        }
        out().println("filters   " + filters.size());
        if (!filters.isEmpty()) {
            Render.filters(filters).print(out(), "  ");
        }
        out().flush();
        return ExitCode.OK;
    }
}
