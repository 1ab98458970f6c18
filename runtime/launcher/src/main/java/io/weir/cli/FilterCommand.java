package io.weir.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code weir filter ...}: filters and their attachment to disks. */
@Command(name = "filter", mixinStandardHelpOptions = true,
        description = "Deploy and undeploy filter bundles; list filters; attach them to disks and detach them.",
        subcommands = {FilterCommand.ListFilters.class, FilterCommand.Deploy.class, FilterCommand.Upgrade.class,
            FilterCommand.Undeploy.class,
            FilterCommand.Attach.class, FilterCommand.Configure.class, FilterCommand.Detach.class})
final class FilterCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing filter command: list, deploy, upgrade, undeploy, attach, configure or detach");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the filters the runtime knows, in stack order, and the deployed bundles with their signer,"
                    + " classes, state and last verdict.")
    static final class ListFilters extends ClientCommand {
        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        public Integer call() throws WeirException {
            JsonArray filters = call(AdminClient.op("filter.list")).getAsJsonArray("filters");
            JsonArray bundles = call(AdminClient.op("bundle.list")).getAsJsonArray("bundles");
            if (json) {
                JsonObject o = new JsonObject();
                o.add("filters", filters);
                o.add("bundles", bundles);
                printJson(o);
                return ExitCode.OK;
            }
            printList(filters, false, "no filters installed", Render::filters);
            out().println();
            printList(bundles, false, "no bundles deployed", Render::bundles);
            for (JsonElement e : bundles) {
                JsonObject b = e.getAsJsonObject();
                out().println();
                out().println(b.get("name").getAsString() + " " + b.get("state").getAsString() + " "
                        + b.get("judgedAt").getAsString() + ":");
                b.getAsJsonArray("verdict").forEach(v -> out().println("  " + v.getAsString()));
            }
            out().flush();
            return ExitCode.OK;
        }
    }

    /** A command taking a bundle file and the settings its certification runs with: deploy and upgrade. */
    abstract static class BundleCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "BUNDLE.jar")
        java.nio.file.Path bundle;

        @Option(names = "--certify-config", paramLabel = "KEY=VALUE",
                description = "A filter setting the certification step runs the bundle's filters with (for filters that"
                        + " need one, e.g. a keystore); repeat for more. Kept for later starts.")
        Map<String, String> certification = new LinkedHashMap<>();

        JsonObject request(String op) {
            JsonObject req = AdminClient.op(op);
            req.addProperty("path", bundle.toAbsolutePath().toString());
            JsonObject c = new JsonObject();
            certification.forEach(c::addProperty);
            req.add("certification", c);
            return req;
        }
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = "Deploy a signed filter bundle: verify its signature, check its classes against the signer's"
                    + " entitlement and its code against the partner limits, then install and start it.")
    static final class Deploy extends BundleCommand {
        @Override
        public Integer call() throws WeirException {
            JsonObject req = request("bundle.deploy");
            JsonObject b;
            try {
                b = call(req).getAsJsonObject("bundle");
            } catch (AdminClient.RemoteException e) {
                throw Render.withReasons(e);
            }
            out().println("deployed " + b.get("name").getAsString() + " " + b.get("version").getAsString()
                    + " signed by " + b.get("signer").getAsString() + " (" + b.get("role").getAsString() + "), classes "
                    + Render.names(b.getAsJsonArray("classes"), null));
            b.getAsJsonArray("verdict").forEach(v -> out().println("  " + v.getAsString()));
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "upgrade", mixinStandardHelpOptions = true,
            description = {"Upgrade a deployed filter bundle on live disks: the new version (same bundle name, higher"
                    + " version) passes the whole deploy pipeline and is installed beside the old one; then every disk"
                    + " using the old version's filters is moved to the new one by a live swap (the old instance hands"
                    + " its state over; requests are parked for the stall, none fails). A disk whose swap fails keeps the"
                    + " old instance. The old version is removed once no disk uses it; run the command again to retry.",
                "Exit code 0 when every disk moved, 1 otherwise."})
    static final class Upgrade extends BundleCommand {
        @Override
        public Integer call() throws WeirException {
            JsonObject req = request("bundle.upgrade");
            JsonObject r;
            try {
                r = call(req, move -> {
                    out().println(describeMove(move));
                    out().flush();
                });
            } catch (AdminClient.RemoteException e) {
                throw Render.withReasons(e);
            }
            JsonObject b = r.getAsJsonObject("bundle");
            String name = b.get("name").getAsString();
            String from = r.get("previousVersion").getAsString();
            String to = b.get("version").getAsString();
            JsonArray moves = r.getAsJsonArray("moves");
            JsonArray still = r.getAsJsonArray("stillServing");
            if (from.equals(to) && moves.isEmpty() && still.isEmpty()) {
                out().println(name + " " + to + " is deployed already and every disk uses it; nothing to do");
            } else if (still.isEmpty()) {
                out().println("upgraded " + name + " " + from + " -> " + to + ": " + moves.size() + " disk(s) moved"
                        + (r.get("previousRemoved").getAsBoolean() ? "; " + from + " removed" : ""));
            } else {
                out().println("upgrade of " + name + " " + from + " -> " + to + " unfinished: " + from
                        + " still serves " + Render.names(still, null) + "; it stays installed. Fix the cause and run"
                        + " the same upgrade again.");
            }
            out().flush();
            return still.isEmpty() ? ExitCode.OK : ExitCode.RUNTIME_ERROR;
        }

        static String describeMove(JsonObject m) {
            String head = "disk " + m.get("disk").getAsString() + ": " + m.get("filter").getAsString() + " ";
            if (!m.get("moved").getAsBoolean()) {
                return head + "stays on " + m.get("from").getAsString() + ": " + m.get("failure").getAsString();
            }
            if (!m.has("swap")) {
                return head + "will open with " + m.get("to").getAsString() + " (the disk is not live)";
            }
            return head + m.get("from").getAsString() + " -> " + m.get("to").getAsString() + swapSummary(m.getAsJsonObject("swap"));
        }
    }

    /** One live swap's report, as the CLI prints it. */
    static String swapSummary(JsonObject sw) {
        return String.format(java.util.Locale.ROOT, " (live swap: stalled %.1f ms, %d requests parked, %d state keys /"
                + " %d bytes handed over)", sw.get("stallMillis").getAsDouble(), sw.get("parked").getAsInt(),
                sw.get("stateKeys").getAsInt(), sw.get("stateBytes").getAsLong());
    }

    @Command(name = "undeploy", mixinStandardHelpOptions = true,
            description = "Stop and remove a deployed bundle; refused while a disk uses one of its filters.")
    static final class Undeploy extends ClientCommand {
        @Parameters(index = "0", paramLabel = "BUNDLE-NAME", description = "The bundle's symbolic name, as 'weir filter list' shows it.")
        String name;

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("bundle.undeploy");
            req.addProperty("name", name);
            call(req);
            out().println("undeployed " + name);
            out().flush();
            return ExitCode.OK;
        }
    }

    /** A command about one filter on one disk, with its settings: attach and configure. */
    abstract static class FilterSettingsCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "DISK")
        String disk;

        @Parameters(index = "1", paramLabel = "FILTER")
        String filter;

        @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Filter settings; repeat for more.")
        Map<String, String> config = new LinkedHashMap<>();

        /** Send {@code op} with the disk, the filter and the settings; returns the response. */
        JsonObject send(String op) throws WeirException {
            JsonObject req = AdminClient.op(op);
            req.addProperty("disk", disk);
            req.addProperty("filter", filter);
            JsonObject c = new JsonObject();
            config.forEach(c::addProperty);
            req.add("config", c);
            return call(req);
        }
    }

    @Command(name = "attach", mixinStandardHelpOptions = true,
            description = "Attach a filter to a disk; a live disk is stunned briefly.")
    static final class Attach extends FilterSettingsCommand {
        @Override
        public Integer call() throws WeirException {
            JsonObject d = send("filter.attach").getAsJsonObject("disk");
            out().println("attached " + filter + " to disk " + disk + "; stack: " + Render.names(d.getAsJsonArray("stack"), "name"));
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "configure", mixinStandardHelpOptions = true,
            description = "Give a filter on a disk new settings; on a live disk a new instance with them replaces the"
                    + " old one through a live swap (state handed over, requests parked for the stall, none failed).")
    static final class Configure extends FilterSettingsCommand {
        @Override
        public Integer call() throws WeirException {
            JsonObject r = send("filter.configure");
            String how = "";
            if (r.has("swap")) {
                how = swapSummary(r.getAsJsonObject("swap"));
            }
            out().println("reconfigured " + filter + " on disk " + disk + how);
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "detach", mixinStandardHelpOptions = true,
            description = "Detach a filter from a disk; a live disk is stunned briefly.")
    static final class Detach extends ClientCommand {
        @Parameters(index = "0", paramLabel = "DISK")
        String disk;

        @Parameters(index = "1", paramLabel = "FILTER")
        String filter;

        @Option(names = "--erase", description = "Detach even a filter that stores the disk's data in a form only it"
                + " reads (ENCRYPTION, COMPRESSION): the data on the disk is lost.")
        boolean erase;

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("filter.detach");
            req.addProperty("disk", disk);
            req.addProperty("filter", filter);
            req.addProperty("erase", erase);
            JsonObject d = call(req).getAsJsonObject("disk");
            out().println("detached " + filter + " from disk " + disk + "; stack: " + Render.names(d.getAsJsonArray("stack"), "name"));
            out().flush();
            return ExitCode.OK;
        }
    }
}
