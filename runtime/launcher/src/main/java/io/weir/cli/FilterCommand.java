package io.weir.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code weir filter ...}: filters and their attachment to disks. */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "List filters; attach them to disks and detach them.",
        subcommands = {FilterCommand.ListFilters.class, FilterCommand.Attach.class, FilterCommand.Detach.class})
final class FilterCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing filter command: list, attach or detach");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the filters the runtime knows, in stack order.")
    static final class ListFilters extends ClientCommand {
        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        public Integer call() throws WeirException {
            return printList(call(AdminClient.op("filter.list")).getAsJsonArray("filters"), json,
                    "no filters installed", Render::filters);
        }
    }

    @Command(name = "attach", mixinStandardHelpOptions = true,
            description = "Attach a filter to a disk; a live disk is stunned briefly.")
    static final class Attach extends ClientCommand {
        @Parameters(index = "0", paramLabel = "DISK")
        String disk;

        @Parameters(index = "1", paramLabel = "FILTER")
        String filter;

        @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Filter configuration; repeat for more.")
        Map<String, String> config = new LinkedHashMap<>();

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("filter.attach");
            req.addProperty("disk", disk);
            req.addProperty("filter", filter);
            JsonObject c = new JsonObject();
            config.forEach(c::addProperty);
            req.add("config", c);
            JsonObject d = call(req).getAsJsonObject("disk");
            out().println("attached " + filter + " to disk " + disk + "; stack: " + Render.names(d.getAsJsonArray("stack"), "name"));
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

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("filter.detach");
            req.addProperty("disk", disk);
            req.addProperty("filter", filter);
            JsonObject d = call(req).getAsJsonObject("disk");
            out().println("detached " + filter + " from disk " + disk + "; stack: " + Render.names(d.getAsJsonArray("stack"), "name"));
            out().flush();
            return ExitCode.OK;
        }
    }
}
