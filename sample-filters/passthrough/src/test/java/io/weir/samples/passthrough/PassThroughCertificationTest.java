package io.weir.samples.passthrough;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.weir.certification.Candidate;
import io.weir.certification.Certifier;
import io.weir.certification.Report;
import io.weir.certification.ReportWriter;
import io.weir.certification.Verdict;
import io.weir.filter.FilterClass;

/**
 * The certification kit in a partner's own build: the filter's factory, as Declarative Services would create it,
 * certified by the kit's engine in a plain JUnit 5 test. The JUnit XML report lands beside surefire's, so the
 * partner's CI shows each check; `weir certify` runs the same checks on the built bundle.
 */
class PassThroughCertificationTest {
    @Test
    void passThroughFilterPassesEveryRequiredCertificationCheck() throws Exception {
        Candidate candidate = new Candidate("passthrough", FilterClass.INSPECTION, new PassThroughFilterFactory(),
                Map.of(), "weir-sample-passthrough (unit test)");
        Report report = Certifier.forCandidate(candidate).budget(Duration.ofMillis(300)).run();
        Path reports = Files.createDirectories(Path.of("target", "certification"));
        ReportWriter.junitXml(report, reports.resolve("TEST-certification-passthrough.xml"));
        ReportWriter.html(report, reports.resolve("passthrough.html"));
        assertTrue(report.passed(), () -> report.checks().stream()
                .filter(c -> c.required() && c.verdict() == Verdict.FAIL)
                .map(c -> c.id() + ": " + c.evidence())
                .collect(Collectors.joining("\n")));
    }
}
