package io.weir.admin;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/**
 * Typed, checked access to the fields of one request object. Every accessor names the field and the op in
 * its error, so a client learns exactly what to fix.
 */
final class Request {
    private final JsonObject json;
    private final String op;

    Request(JsonObject json, String op) {
        this.json = json;
        this.op = op;
    }

    String op() {
        return op;
    }

    /** Refuse any field not in {@code allowed} ({@code op} is always allowed). */
    void onlyFields(Set<String> allowed) throws AdminException {
        for (String key : json.keySet()) {
            if (!key.equals("op") && !allowed.contains(key)) {
                throw invalid("unknown field '" + key + "' for " + op
                        + (allowed.isEmpty() ? " (it takes no fields)" : " (known: " + String.join(", ", allowed.stream().sorted().toList()) + ")"));
            }
        }
    }

    boolean has(String field) {
        JsonElement e = json.get(field);
        return e != null && !e.isJsonNull();
    }

    String string(String field) throws AdminException {
        JsonElement e = required(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw wrongType(field, "a string", e);
        }
        return e.getAsString();
    }

    String string(String field, String fallback) throws AdminException {
        return has(field) ? string(field) : fallback;
    }

    long integer(String field) throws AdminException {
        JsonElement e = required(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw wrongType(field, "a whole number", e);
        }
        BigDecimal value;
        try {
            value = e.getAsBigDecimal();
        } catch (NumberFormatException ex) {
            throw wrongType(field, "a whole number", e);
        }
        BigDecimal whole = value.stripTrailingZeros();
        if (whole.scale() > 0) {
            throw wrongType(field, "a whole number", e);
        }
        try {
            return whole.longValueExact();
        } catch (ArithmeticException ex) {
            throw invalid("field '" + field + "' of " + op + " is out of range: " + describe(e));
        }
    }

    long integer(String field, long fallback) throws AdminException {
        return has(field) ? integer(field) : fallback;
    }

    /** A whole number within {@code [min, max]}. */
    long integer(String field, long fallback, long min, long max) throws AdminException {
        long v = integer(field, fallback);
        if (v < min || v > max) {
            throw invalid("field '" + field + "' of " + op + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    boolean bool(String field, boolean fallback) throws AdminException {
        if (!has(field)) {
            return fallback;
        }
        JsonElement e = json.get(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw wrongType(field, "true or false", e);
        }
        return e.getAsBoolean();
    }

    /** An object whose values are all strings. */
    Map<String, String> stringMap(String field) throws AdminException {
        Map<String, String> out = new LinkedHashMap<>();
        if (!has(field)) {
            return out;
        }
        JsonElement e = json.get(field);
        if (!e.isJsonObject()) {
            throw wrongType(field, "an object of strings", e);
        }
        for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
            JsonElement v = entry.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw invalid("field '" + field + "." + entry.getKey() + "' of " + op + " must be a string, got " + describe(v));
            }
            out.put(entry.getKey(), v.getAsString());
        }
        return out;
    }

    /** An object whose values are strings, booleans or numbers (whole numbers become {@link Long}). */
    Map<String, Object> scalarMap(String field) throws AdminException {
        Map<String, Object> out = new LinkedHashMap<>();
        if (!has(field)) {
            return out;
        }
        JsonElement e = json.get(field);
        if (!e.isJsonObject()) {
            throw wrongType(field, "an object", e);
        }
        for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
            JsonElement v = entry.getValue();
            if (!v.isJsonPrimitive()) {
                throw invalid("field '" + field + "." + entry.getKey() + "' of " + op
                        + " must be a string, number or boolean, got " + describe(v));
            }
            out.put(entry.getKey(), scalar(v.getAsJsonPrimitive()));
        }
        return out;
    }

    private static Object scalar(JsonPrimitive p) {
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            BigDecimal d = p.getAsBigDecimal();
            try {
                return d.stripTrailingZeros().scale() <= 0 ? (Object) d.longValueExact() : (Object) d.doubleValue();
            } catch (ArithmeticException e) {
                return d.doubleValue();
            }
        }
        return p.getAsString();
    }

    JsonObject json() {
        return json;
    }

    private JsonElement required(String field) throws AdminException {
        JsonElement e = json.get(field);
        if (e == null || e.isJsonNull()) {
            throw invalid("missing field '" + field + "' for " + op);
        }
        return e;
    }

    AdminException invalid(String message) {
        return new AdminException(ErrorCode.INVALID, message);
    }

    private AdminException wrongType(String field, String expected, JsonElement got) {
        return invalid("field '" + field + "' of " + op + " must be " + expected + ", got " + describe(got));
    }

    /** A short rendering of a JSON value for error messages (long values are cut). */
    static String describe(JsonElement e) {
        String s = e.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
