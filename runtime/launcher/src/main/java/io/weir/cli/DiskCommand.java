package io.weir.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code weir disk ...}: the disk catalog. */
@Command(name = "disk", mixinStandardHelpOptions = true, description = "Create, list, inspect, grow and delete virtual disks.",
        subcommands = {DiskCommand.Create.class, DiskCommand.ListDisks.class, DiskCommand.Info.class, DiskCommand.Grow.class,
            DiskCommand.Delete.class})
final class DiskCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing disk command: create, list, info, grow or delete");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Define and open a new disk.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Disk name: lower-case letters, digits, '-' and '_'.")
        String name;

        @Option(names = "--size", required = true, paramLabel = "SIZE", converter = Converters.Size.class,
                description = "Capacity, e.g. 1G (K, M, G, T are binary).")
        long size;

        @Option(names = "--block-size", paramLabel = "512|4096", defaultValue = "512",
                description = "Logical block size (default: ${DEFAULT-VALUE}).")
        int blockSize;

        @Option(names = "--backend", paramLabel = "TYPE", defaultValue = "file",
                description = "Backend type, e.g. file or memory (default: ${DEFAULT-VALUE}).")
        String backend;

        @Option(names = "--option", paramLabel = "KEY=VALUE", description = "Backend option; repeat for more.")
        Map<String, String> options = new LinkedHashMap<>();

        @Override
        public Integer call() throws WeirException {
            if (blockSize != 512 && blockSize != 4096) {
                throw usage("--block-size must be 512 or 4096, got " + blockSize);
            }
            if (size <= 0) {
                throw usage("--size must be positive");
            }
            if (size % blockSize != 0) {
                throw usage("--size " + size + " is not a multiple of the block size " + blockSize);
            }
            JsonObject req = AdminClient.op("disk.create");
            req.addProperty("id", name);
            req.addProperty("size", size);
            req.addProperty("blockSize", blockSize);
            req.addProperty("backend", backend);
            JsonObject opts = new JsonObject();
            options.forEach(opts::addProperty);
            req.add("options", opts);
            JsonObject d = call(req).getAsJsonObject("disk");
            out().println("created disk " + Render.str(d, "id") + ": " + Sizes.format(Render.num(d, "capacity")) + ", block size "
                    + Render.num(d, "blockSize") + ", " + Render.str(d, "backend") + " backend, " + Render.state(d));
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the disks.")
    static final class ListDisks extends ClientCommand {
        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        public Integer call() throws WeirException {
            return printList(call(AdminClient.op("disk.list")).getAsJsonArray("disks"), json,
                    "no disks (create one with 'weir disk create NAME --size 1G')", Render::disks);
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show one disk: definition, state, stack and counters.")
    static final class Info extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("disk.info");
            req.addProperty("id", name);
            JsonObject d = call(req).getAsJsonObject("disk");
            if (json) {
                printJson(d);
            } else {
                Render.disk(out(), d);
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "grow", mixinStandardHelpOptions = true, description = "Grow a disk (filters may refuse; shrinking is refused).")
    static final class Grow extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--size", required = true, paramLabel = "SIZE", converter = Converters.Size.class,
                description = "New capacity, e.g. 2G.")
        long size;

        @Override
        public Integer call() throws WeirException {
            if (size <= 0) {
                throw usage("--size must be positive");
            }
            JsonObject req = AdminClient.op("disk.grow");
            req.addProperty("id", name);
            req.addProperty("size", size);
            JsonObject d = call(req).getAsJsonObject("disk");
            out().println("disk " + Render.str(d, "id") + " is now " + Sizes.format(Render.num(d, "capacity")) + " ("
                    + Render.num(d, "capacity") + " bytes)");
            out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Close a disk, remove it and destroy its storage.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws WeirException {
            JsonObject req = AdminClient.op("disk.delete");
            req.addProperty("id", name);
            call(req);
            out().println("deleted disk " + name);
            out().flush();
            return ExitCode.OK;
        }
    }
}
