package io.weir.certification;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Writes a {@link Report} as JSON (the machine-readable record, see {@link ReportReader}), as JUnit XML (the
 * surefire format CI systems read: one testcase per check) and as a single readable HTML page. Each file is
 * written to a temporary sibling and moved into place, so a reader never sees half a report.
 *
 * @throws UncheckedIOException from every method when the file cannot be written, naming the file
 */
public final class ReportWriter {
    /** The format version written into JSON reports. */
    public static final int JSON_FORMAT = 1;

    private ReportWriter() {
    }

    /** The report as JSON. */
    public static void json(Report r, Path file) {
        write(file, toJson(r).getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON text of {@code r}, as {@link #json} writes it. */
    public static String toJson(Report r) {
        JsonObject o = new JsonObject();
        o.addProperty("format", JSON_FORMAT);
        o.addProperty("filterName", r.filterName());
        o.addProperty("filterClass", r.filterClass().name());
        o.addProperty("origin", r.origin());
        o.addProperty("bundleSha256", r.bundleSha256());
        o.addProperty("started", r.started().toString());
        o.addProperty("seed", r.seed());
        o.addProperty("passed", r.passed());
        JsonArray checks = new JsonArray();
        for (CheckResult c : r.checks()) {
            JsonObject j = new JsonObject();
            j.addProperty("id", c.id());
            j.addProperty("sentence", c.sentence());
            j.addProperty("required", c.required());
            j.addProperty("verdict", c.verdict().name());
            j.addProperty("millis", c.millis());
            JsonArray evidence = new JsonArray();
            c.evidence().forEach(evidence::add);
            j.add("evidence", evidence);
            checks.add(j);
        }
        o.add("checks", checks);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o) + "\n";
    }

    /**
     * The report as a JUnit XML test suite: one testcase per check, named by its id; a FAIL of a required check is
     * a {@code failure} whose message is the first finding and whose text is the whole evidence; SKIPPED is
     * {@code skipped}; the evidence of every check is also in its {@code system-out}.
     */
    public static void junitXml(Report r, Path file) {
        try {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
            Element suite = d.createElement("testsuite");
            d.appendChild(suite);
            String className = "weir.certification." + r.filterName();
            long failures = r.checks().stream().filter(c -> c.required() && c.verdict() == Verdict.FAIL).count();
            long skipped = r.checks().stream().filter(c -> c.verdict() == Verdict.SKIPPED).count();
            long millis = r.checks().stream().mapToLong(CheckResult::millis).sum();
            suite.setAttribute("name", className);
            suite.setAttribute("tests", Integer.toString(r.checks().size()));
            suite.setAttribute("failures", Long.toString(failures));
            suite.setAttribute("errors", "0");
            suite.setAttribute("skipped", Long.toString(skipped));
            suite.setAttribute("time", seconds(millis));
            suite.setAttribute("timestamp", r.started().toString());
            Element props = d.createElement("properties");
            suite.appendChild(props);
            property(d, props, "filterName", r.filterName());
            property(d, props, "filterClass", r.filterClass().name());
            property(d, props, "origin", r.origin());
            property(d, props, "bundleSha256", r.bundleSha256());
            property(d, props, "seed", Long.toString(r.seed()));
            property(d, props, "passed", Boolean.toString(r.passed()));
            for (CheckResult c : r.checks()) {
                Element tc = d.createElement("testcase");
                tc.setAttribute("classname", className);
                tc.setAttribute("name", c.id());
                tc.setAttribute("time", seconds(c.millis()));
                String evidence = String.join("\n", c.evidence());
                if (c.verdict() == Verdict.FAIL && c.required()) {
                    Element f = d.createElement("failure");
                    f.setAttribute("message", firstFailure(c));
                    f.setAttribute("type", c.id());
                    f.setTextContent(c.sentence() + "\n" + evidence);
                    tc.appendChild(f);
                } else if (c.verdict() == Verdict.SKIPPED) {
                    Element s = d.createElement("skipped");
                    s.setAttribute("message", c.evidence().isEmpty() ? "skipped" : c.evidence().get(0));
                    tc.appendChild(s);
                }
                Element out = d.createElement("system-out");
                out.setTextContent(c.verdict() + (c.required() ? "" : " (not required)") + ": " + c.sentence()
                        + "\n" + evidence);
                tc.appendChild(out);
                suite.appendChild(tc);
            }
            var t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            var bytes = new java.io.ByteArrayOutputStream();
            t.transform(new DOMSource(d), new StreamResult(bytes));
            write(file, bytes.toByteArray());
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException("cannot build the JUnit XML report for " + file + ": " + e.getMessage(), e);
        }
    }

    private static String firstFailure(CheckResult c) {
        return c.evidence().stream().filter(e -> e.startsWith("FAIL: ")).findFirst().map(e -> e.substring(6))
                .orElse(c.sentence());
    }

    private static void property(Document d, Element props, String name, String value) {
        Element p = d.createElement("property");
        p.setAttribute("name", name);
        p.setAttribute("value", value);
        props.appendChild(p);
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }

    /** The report as one self-contained HTML page: verdict, candidate, and a table of checks with their evidence. */
    public static void html(Report r, Path file) {
        StringBuilder h = new StringBuilder(16384);
        String verdict = r.passed() ? "PASSED" : "FAILED";
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(esc("Certification of " + r.filterName() + ": " + verdict)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}\n")
                .append("table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4em;"
                        + "vertical-align:top;text-align:left}\n")
                .append(".PASS,.PASSED{color:#0a0;font-weight:bold}.FAIL,.FAILED{color:#c00;font-weight:bold}"
                        + ".SKIPPED{color:#888;font-weight:bold}.INFO{color:#06c;font-weight:bold}\n")
                .append("code{font-size:.9em}details li{font-family:monospace;font-size:.85em;white-space:pre-wrap}\n")
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>Certification of ").append(esc(r.filterName())).append(": <span class=\"").append(verdict)
                .append("\">").append(verdict).append("</span></h1>\n");
        h.append("<table>\n");
        row(h, "Filter", esc(r.filterName()));
        row(h, "Class", esc(r.filterClass().name()));
        row(h, "Origin", esc(r.origin()));
        row(h, "Bundle SHA-256", r.bundleSha256().isEmpty() ? "<em>not loaded from a bundle</em>"
                : "<code>" + esc(r.bundleSha256()) + "</code>");
        row(h, "Started", esc(r.started().toString()));
        row(h, "Seed", "<code>" + r.seed() + "</code>");
        h.append("</table>\n<h2>Checks</h2>\n<table>\n<tr><th>#</th><th>Check</th><th>Verdict</th><th>Required</th>"
                + "<th>Time</th><th>Contract and evidence</th></tr>\n");
        int i = 0;
        for (CheckResult c : r.checks()) {
            h.append("<tr><td>").append(++i).append("</td><td><code>").append(esc(c.id())).append("</code></td><td class=\"")
                    .append(c.verdict().name()).append("\">").append(c.verdict().name()).append("</td><td>")
                    .append(c.required() ? "yes" : "no").append("</td><td>").append(c.millis()).append(" ms</td><td>")
                    .append(esc(c.sentence())).append("\n<details").append(c.verdict() == Verdict.FAIL ? " open" : "")
                    .append("><summary>Evidence (").append(c.evidence().size()).append(")</summary>\n<ul>\n");
            for (String e : c.evidence()) {
                h.append("<li>").append(esc(e)).append("</li>\n");
            }
            h.append("</ul>\n</details></td></tr>\n");
        }
        h.append("</table>\n</body>\n</html>\n");
        write(file, h.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void row(StringBuilder h, String name, String htmlValue) {
        h.append("<tr><th>").append(esc(name)).append("</th><td>").append(htmlValue).append("</td></tr>\n");
    }

    /** Escape text for HTML element content and attribute values. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    private static void write(Path file, byte[] bytes) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(bytes);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; report that
                }
            }
            throw new UncheckedIOException("cannot write the report " + file + ": " + e.getMessage(), e);
        }
    }
}
