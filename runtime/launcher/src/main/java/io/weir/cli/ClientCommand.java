package io.weir.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that sends requests to the runtime of {@code --data-dir}. */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;

    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Send one request and return the successful response. */
    JsonObject call(JsonObject request) throws WeirException {
        return call(request, null);
    }

    JsonObject call(JsonObject request, Consumer<JsonObject> progress) throws WeirException {
        try (AdminClient client = AdminClient.connect(dataDir.resolve())) {
            return client.call(request, progress);
        }
    }

    /** Print a listing: JSON for scripts, a line saying there is nothing, or a table. */
    Integer printList(JsonArray items, boolean json, String none, Function<JsonArray, Table> table) {
        return Render.printList(out(), items, json, none, table);
    }

    /** Print {@code json} for scripts: indented, one value. */
    void printJson(JsonElement json) {
        Render.printJson(out(), json);
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
