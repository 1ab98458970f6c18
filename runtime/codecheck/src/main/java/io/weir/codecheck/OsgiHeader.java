package io.weir.codecheck;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parser for OSGi manifest headers (Core specification, "Common Header Syntax"):
 * {@code header ::= clause (',' clause)*}, {@code clause ::= path (';' path)* (';' parameter)*}, where a
 * parameter is a directive {@code name:=value} or an attribute {@code name[:type]=value} and a value may be a
 * quoted string holding commas, semicolons and backslash escapes.
 */
final class OsgiHeader {

    /** One clause: its paths (package names, jar paths...) and its attributes and directives. */
    record Clause(List<String> paths, Map<String, String> attributes, Map<String, String> directives) {
    }

    private OsgiHeader() {
    }

    /**
     * Parses {@code value}.
     *
     * @throws IllegalArgumentException naming the problem and its position when the header is malformed
     */
    static List<Clause> parse(String value) {
        List<Clause> clauses = new ArrayList<>();
        for (String clauseText : split(value, ',')) {
            if (clauseText.isBlank()) {
                throw new IllegalArgumentException("empty clause in \"" + value + "\"");
            }
            List<String> paths = new ArrayList<>();
            Map<String, String> attributes = new LinkedHashMap<>();
            Map<String, String> directives = new LinkedHashMap<>();
            for (String part : split(clauseText, ';')) {
                int eq = indexOfUnquoted(part, '=');
                if (eq < 0) {
                    if (!attributes.isEmpty() || !directives.isEmpty()) {
                        throw new IllegalArgumentException("path \"" + part.trim() + "\" after a parameter in \""
                                + clauseText.trim() + "\"");
                    }
                    String path = part.trim();
                    if (path.isEmpty() || path.indexOf('"') >= 0) {
                        throw new IllegalArgumentException(
                                "bad path \"" + part + "\" in \"" + clauseText.trim() + "\"");
                    }
                    paths.add(path);
                } else {
                    boolean directive = eq > 0 && part.charAt(eq - 1) == ':';
                    String name = part.substring(0, directive ? eq - 1 : eq).trim();
                    if (!directive) {
                        int colon = name.indexOf(':');
                        if (colon >= 0) {
                            name = name.substring(0, colon).trim(); // typed attribute, e.g. name:Version=1.0
                        }
                    }
                    if (name.isEmpty() || !isToken(name)) {
                        throw new IllegalArgumentException("bad parameter name \"" + name + "\" in \""
                                + clauseText.trim() + "\"");
                    }
                    String argument = unquote(part.substring(eq + 1).trim(), clauseText);
                    (directive ? directives : attributes).put(name, argument);
                }
            }
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("clause without a path: \"" + clauseText.trim() + "\"");
            }
            clauses.add(new Clause(List.copyOf(paths), Map.copyOf(attributes), Map.copyOf(directives)));
        }
        return clauses;
    }

    /** Whether {@code name} is a syntactically valid Java package name (dot-separated identifiers). */
    static boolean isPackageName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (String part : name.split("\\.", -1)) {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.codePointAt(0))) {
                return false;
            }
            int i = Character.charCount(part.codePointAt(0));
            while (i < part.length()) {
                int cp = part.codePointAt(i);
                if (!Character.isJavaIdentifierPart(cp)) {
                    return false;
                }
                i += Character.charCount(cp);
            }
        }
        return true;
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static String unquote(String argument, String context) {
        if (argument.isEmpty()) {
            throw new IllegalArgumentException("empty value in \"" + context.trim() + "\"");
        }
        if (argument.charAt(0) != '"') {
            if (argument.indexOf('"') >= 0) {
                throw new IllegalArgumentException("stray quote in \"" + context.trim() + "\"");
            }
            return argument;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < argument.length(); i++) {
            char c = argument.charAt(i);
            if (c == '\\' && i + 1 < argument.length()) {
                out.append(argument.charAt(++i));
            } else if (c == '"') {
                if (i != argument.length() - 1) {
                    throw new IllegalArgumentException("text after closing quote in \"" + context.trim() + "\"");
                }
                return out.toString();
            } else {
                out.append(c);
            }
        }
        throw new IllegalArgumentException("unterminated quoted string in \"" + context.trim() + "\"");
    }

    /** Splits on {@code separator} outside quoted strings. */
    private static List<String> split(String text, char separator) {
        List<String> parts = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == separator) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated quoted string in \"" + text.trim() + "\"");
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static int indexOfUnquoted(String text, char wanted) {
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == wanted) {
                return i;
            }
        }
        return -1;
    }
}
