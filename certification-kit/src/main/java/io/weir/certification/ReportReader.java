package io.weir.certification;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import io.weir.filter.FilterClass;

/** Reads a report written by {@link ReportWriter#json}, for tools that check a report before enabling a filter. */
public final class ReportReader {
    private ReportReader() {
    }

    /**
     * The report in {@code file}.
     *
     * @throws IllegalArgumentException naming the file and the field when it is not a report of a known format
     * @throws UncheckedIOException     when the file cannot be read
     */
    public static Report json(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the report " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** The report in {@code text}; {@code source} names it in error messages. */
    public static Report parse(String text, String source) {
        try {
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            int format = field(o, "format", source).getAsInt();
            if (format != ReportWriter.JSON_FORMAT) {
                throw new IllegalArgumentException(source + ": report format " + format + " is not supported (expected "
                        + ReportWriter.JSON_FORMAT + ")");
            }
            List<CheckResult> checks = new ArrayList<>();
            for (JsonElement e : field(o, "checks", source).getAsJsonArray()) {
                JsonObject c = e.getAsJsonObject();
                List<String> evidence = new ArrayList<>();
                JsonArray ev = field(c, "evidence", source).getAsJsonArray();
                ev.forEach(x -> evidence.add(x.getAsString()));
                checks.add(new CheckResult(field(c, "id", source).getAsString(), field(c, "sentence", source).getAsString(),
                        field(c, "required", source).getAsBoolean(),
                        Verdict.valueOf(field(c, "verdict", source).getAsString()), field(c, "millis", source).getAsLong(),
                        evidence));
            }
            return new Report(field(o, "filterName", source).getAsString(),
                    FilterClass.valueOf(field(o, "filterClass", source).getAsString()),
                    field(o, "origin", source).getAsString(), field(o, "bundleSha256", source).getAsString(),
                    Instant.parse(field(o, "started", source).getAsString()), field(o, "seed", source).getAsLong(),
                    checks);
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException
                 | DateTimeParseException e) {
            throw new IllegalArgumentException(source + ": not a certification report: " + e.getMessage(), e);
        }
    }

    private static JsonElement field(JsonObject o, String name, String source) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(source + ": the report has no '" + name + "'");
        }
        return e;
    }
}
