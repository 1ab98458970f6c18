package io.weir.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir settings}: settings of services that deployed bundles run (a replica receiver, say). */
@Command(name = "settings", mixinStandardHelpOptions = true,
        description = "Set, delete or list the settings of services deployed bundles run (by configuration pid). "
                + "Settings are checked against the Metatype the bundle declares, kept in the data directory and "
                + "applied again at every start.",
        subcommands = {SettingsCommand.Set.class, SettingsCommand.Delete.class, SettingsCommand.ListAll.class})
final class SettingsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing settings command: set, delete or list");
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Replace the settings of PID; its service starts, or restarts with them.")
    static final class Set extends ClientCommand {
        @Parameters(index = "0", paramLabel = "PID", description = "The configuration pid.")
        String pid;

        @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "Every setting (unset ones take their default).")
        Map<String, String> values = new LinkedHashMap<>();

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("settings.set");
            req.addProperty("pid", pid);
            JsonObject s = new JsonObject();
            values.forEach(s::addProperty);
            req.add("settings", s);
            JsonObject stored = call(req).getAsJsonObject("settings");
            out().println(pid + ": " + stored.size() + " setting(s) stored and applied");
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete the settings of PID; its service stops.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "PID")
        String pid;

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("settings.delete");
            req.addProperty("pid", pid);
            call(req);
            out().println(pid + ": settings deleted");
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the stored settings by pid.")
    static final class ListAll extends ClientCommand {
        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        public Integer call() throws WeirException {
            JsonObject all = call(AdminClient.op("settings.list")).getAsJsonObject("settings");
            if (json) {
                printJson(all);
                return ExitCode.OK;
            }
            if (all.isEmpty()) {
                out().println("no service settings stored");
            }
            for (Map.Entry<String, JsonElement> e : all.entrySet()) {
                out().println(e.getKey() + ":");
                e.getValue().getAsJsonObject().entrySet()
                        .forEach(kv -> out().println("  " + kv.getKey() + " = " + kv.getValue().getAsString()));
            }
            out().flush();
            return ExitCode.OK;
        }
    }
}
