package io.weir.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import io.weir.samples.replication.Checkpoint;
import io.weir.samples.replication.ReplicaInfo;
import io.weir.samples.replication.ReplicaStore;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code weir replica ...}: the replicas a replication receiver keeps (the sample {@code replication} bundle's
 * receiver, whose {@code receiver.directory} setting names the folder). Works on the folder directly, also while a
 * receiver serves it: each operation holds the replica's lock, which pauses that disk's stream meanwhile.
 */
@Command(name = "replica", mixinStandardHelpOptions = true,
        description = "List the replicas in a receiver's directory, recover a disk image as of a point in time, or "
                + "promote a replica to a standalone disk image (failover).",
        subcommands = {ReplicaCommand.ListReplicas.class, ReplicaCommand.Checkpoints.class, ReplicaCommand.Recover.class,
            ReplicaCommand.Failover.class})
final class ReplicaCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing replica command: list, checkpoints, recover or failover");
    }

    /** Options every replica command shares. */
    abstract static class ReplicaSub implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", required = true,
                description = "The receiver's replica directory (its receiver.directory setting).")
        Path dir;

        @Option(names = "--json", description = "Print JSON for scripts.")
        boolean json;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() throws WeirException {
            try {
                return run(ReplicaStore.open(dir));
            } catch (IOException e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, e.getMessage(), e);
            }
        }

        abstract Integer run(ReplicaStore store) throws IOException, WeirException;

        /** Print rows: JSON for scripts, a line saying there are none, or the table. */
        Integer printRows(JsonArray rows, Table table, String none) {
            return Render.printList(out(), rows, json, none, r -> table);
        }

        void print(JsonObject o, String text) {
            if (json) {
                Render.printJson(out(), o);
            } else {
                out().println(text);
                out().flush();
            }
        }
    }

    /** Options of the commands that name one disk. */
    abstract static class DiskSub extends ReplicaSub {
        @Option(names = "--disk", paramLabel = "ID", required = true, description = "The primary's disk id.")
        String disk;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the replicas with their checkpoints.")
    static final class ListReplicas extends ReplicaSub {
        @Override
        Integer run(ReplicaStore store) throws IOException {
            List<ReplicaInfo> all = store.list();
            JsonArray a = new JsonArray();
            Table t = new Table("DISK", "SIZE", "STATE", "CHECKPOINTS", "OLDEST", "LATEST", "JOURNAL").rightAligned(1, 3, 6);
            for (ReplicaInfo r : all) {
                a.add(json(r));
                t.row(r.diskId(), Sizes.format(r.capacity()), state(r), r.checkpoints(),
                        r.oldest().map(c -> c.primaryAt().toString()).orElse("-"),
                        r.latest().map(c -> c.primaryAt().toString()).orElse("-"), Sizes.format(r.journalBytes()));
            }
            return printRows(a, t, "no replicas in " + dir);
        }
    }

    @Command(name = "checkpoints", mixinStandardHelpOptions = true,
            description = "List the retained checkpoints of one replica, oldest first: the times it can be recovered at.")
    static final class Checkpoints extends DiskSub {
        @Override
        Integer run(ReplicaStore store) throws IOException {
            List<Checkpoint> all = store.checkpoints(disk);
            JsonArray a = new JsonArray();
            Table t = new Table("ID", "PRIMARY TIME", "RECEIVED", "CAUSE").rightAligned(0);
            for (Checkpoint c : all) {
                a.add(json(c));
                t.row(c.id(), c.primaryAt(), c.receivedAt(), c.cause().name().toLowerCase(Locale.ROOT));
            }
            return printRows(a, t, "no checkpoints retained for " + disk);
        }
    }

    @Command(name = "recover", mixinStandardHelpOptions = true,
            description = "Write a raw image of the disk as it was at the latest checkpoint at or before TIME.")
    static final class Recover extends DiskSub {
        @Option(names = "--at", paramLabel = "TIME", required = true,
                description = "An instant (2026-12-05T10:15:00Z), 'latest', or an age such as 10m or 2h (that long ago).")
        String at;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "The image to write (replaced).")
        Path output;

        @Override
        Integer run(ReplicaStore store) throws IOException, WeirException {
            Instant when = instant(at);
            Checkpoint c = store.recover(disk, when, output);
            JsonObject o = json(c);
            o.addProperty("image", output.toAbsolutePath().toString());
            print(o, disk + " recovered as of checkpoint " + c.id() + " (primary time " + c.primaryAt() + ") to " + output);
            return ExitCode.OK;
        }

        private Instant instant(String text) throws WeirException {
            String t = text.trim();
            if (t.equalsIgnoreCase("latest")) {
                return Instant.MAX;
            }
            try {
                return Instant.parse(t);
            } catch (DateTimeParseException notAnInstant) {
                try {
                    return Instant.now().minus(Duration.ofMillis(Durations.parseMillis(t)));
                } catch (IllegalArgumentException notAnAge) {
                    throw new WeirException(ExitCode.USAGE, "--at must be an instant such as 2026-12-05T10:15:00Z, "
                            + "'latest', or an age such as 10m; got '" + text + "'");
                }
            }
        }
    }

    @Command(name = "failover", mixinStandardHelpOptions = true,
            description = "Promote a replica after losing its primary: write a standalone raw image of its latest "
                    + "consistent state and refuse any further stream to it.")
    static final class Failover extends DiskSub {
        @Option(names = "--out", paramLabel = "FILE", required = true, description = "The image to write (replaced).")
        Path output;

        @Override
        Integer run(ReplicaStore store) throws IOException {
            ReplicaStore.Promotion p = store.failover(disk, output);
            JsonObject o = new JsonObject();
            o.addProperty("disk", p.diskId());
            o.addProperty("image", p.image().toAbsolutePath().toString());
            o.addProperty("capacity", p.capacity());
            p.rolledBackTo().ifPresent(c -> o.add("rolledBackTo", json(c)));
            print(o, disk + " failed over to " + output + " (" + Sizes.format(p.capacity()) + ", "
                    + p.rolledBackTo().map(c -> "rolled back to checkpoint " + c.id() + " of " + c.primaryAt()
                            + ": a resync was in progress").orElse("its latest state") + "); the replica takes no more streams");
            return ExitCode.OK;
        }
    }

    private static String state(ReplicaInfo r) {
        return r.failedOver() ? "failed-over" : r.consistent() ? "consistent" : "resyncing";
    }

    private static JsonObject json(ReplicaInfo r) {
        JsonObject o = new JsonObject();
        o.addProperty("disk", r.diskId());
        o.addProperty("stream", r.streamId());
        o.addProperty("capacity", r.capacity());
        o.addProperty("blockSize", r.blockSize());
        o.addProperty("state", state(r));
        o.addProperty("checkpoints", r.checkpoints());
        r.oldest().ifPresent(c -> o.add("oldest", json(c)));
        r.latest().ifPresent(c -> o.add("latest", json(c)));
        o.addProperty("journalBytes", r.journalBytes());
        return o;
    }

    private static JsonObject json(Checkpoint c) {
        JsonObject o = new JsonObject();
        o.addProperty("checkpoint", c.id());
        o.addProperty("primaryAt", c.primaryAt().toString());
        o.addProperty("receivedAt", c.receivedAt().toString());
        o.addProperty("cause", c.cause().name().toLowerCase(Locale.ROOT));
        return o;
    }
}
