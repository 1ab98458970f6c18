package io.weir.certification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import io.weir.filter.FilterClass;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The three report formats: JSON that reads back, JUnit XML that CI parsers accept, escaped readable HTML. */
class ReportWriterTest {
    private static final String HOSTILE = "WRITE[0+4096] <script>alert('x')</script> & \"quoted\" — ünïcode";

    @TempDir
    Path dir;

    private static Report sample() {
        return new Report("cache-one", FilterClass.CACHE, "com.example.cache 1.2.0",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                Instant.parse("2026-01-02T03:04:05.678Z"), -42L, List.of(
                new CheckResult("class-and-position", "sits at its place", true, Verdict.PASS, 12, List.of("down [A]")),
                new CheckResult("exactly-once", "completes exactly once", true, Verdict.FAIL, 340,
                        List.of("sent 10 requests", "FAIL: " + HOSTILE, "FAIL: second finding")),
                new CheckResult("swap-handoff", "hands state over", false, Verdict.SKIPPED, 0, List.of("needs hot swap")),
                new CheckResult("overhead", "overhead within budget", false, Verdict.INFO, 250, List.of("ratio 1.10"))));
    }

    @Test
    void jsonReadsBackAsTheSameReport() {
        Report r = sample();
        Path file = dir.resolve("report.json");
        ReportWriter.json(r, file);
        assertEquals(r, ReportReader.json(file));
        assertFalse(ReportReader.json(file).passed());
    }

    @Test
    void jsonThatIsNotAReportIsRefusedNamingTheFileAndTheMissingField() throws Exception {
        Path file = dir.resolve("other.json");
        Files.writeString(file, "{\"format\": 1, \"filterName\": \"x\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReportReader.json(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'checks'"), e.getMessage());
        Files.writeString(file, "{\"format\": 9}");
        e = assertThrows(IllegalArgumentException.class, () -> ReportReader.json(file));
        assertTrue(e.getMessage().contains("report format 9 is not supported"), e.getMessage());
    }

    @Test
    void junitXmlParsesWithOneTestcasePerCheckAndAFailureForTheRequiredFail() throws Exception {
        Path file = dir.resolve("TEST-cache-one.xml");
        ReportWriter.junitXml(sample(), file);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        Element suite = d.getDocumentElement();
        assertEquals("testsuite", suite.getTagName());
        assertEquals("4", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("skipped"));
        assertEquals("0", suite.getAttribute("errors"));
        assertEquals("0.602", suite.getAttribute("time"));
        NodeList cases = suite.getElementsByTagName("testcase");
        assertEquals(4, cases.getLength());
        Element failing = (Element) cases.item(1);
        assertEquals("exactly-once", failing.getAttribute("name"));
        assertEquals("weir.certification.cache-one", failing.getAttribute("classname"));
        Element failure = (Element) failing.getElementsByTagName("failure").item(0);
        assertEquals(HOSTILE, failure.getAttribute("message"));
        assertTrue(failure.getTextContent().contains("FAIL: second finding"));
        assertEquals(1, ((Element) cases.item(2)).getElementsByTagName("skipped").getLength());
        assertEquals(0, ((Element) cases.item(3)).getElementsByTagName("failure").getLength());
        NodeList props = suite.getElementsByTagName("property");
        boolean sha = false;
        for (int i = 0; i < props.getLength(); i++) {
            Element p = (Element) props.item(i);
            sha |= p.getAttribute("name").equals("bundleSha256") && p.getAttribute("value").startsWith("0123456789abcdef");
        }
        assertTrue(sha, "the bundle's SHA-256 is a property of the suite");
    }

    @Test
    void htmlShowsTheVerdictAndEscapesEvidence() throws Exception {
        Path file = dir.resolve("report.html");
        ReportWriter.html(sample(), file);
        String html = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("FAILED"));
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; — ünïcode"));
        assertFalse(html.contains("<script>"));
        assertEquals(4, html.split("<details", -1).length - 1, "one collapsible evidence block per check");
        assertTrue(html.contains("<details open><summary>Evidence (3)</summary>"), "a failing check's evidence starts open");
    }

    @Test
    void writingIntoAMissingDirectoryCreatesIt() {
        Path file = dir.resolve("a/b/report.json");
        ReportWriter.json(sample(), file);
        assertTrue(Files.isRegularFile(file));
    }
}
