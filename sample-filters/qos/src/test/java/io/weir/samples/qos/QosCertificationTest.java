package io.weir.samples.qos;

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

/** The certification kit on the QoS factory, with a limit set so the scheduler really shapes the kit's load. */
class QosCertificationTest {
    @Test
    void qosFilterPassesEveryRequiredCertificationCheck() throws Exception {
        Candidate candidate = new Candidate("qos", FilterClass.QOS, new QosFilterFactory(),
                Map.of("qos.limit.iops", 20_000L, "qos.group", "certification"), "weir-sample-qos (unit test)");
        Report report = Certifier.forCandidate(candidate).budget(Duration.ofMillis(300)).run();
        Path reports = Files.createDirectories(Path.of("target", "certification"));
        ReportWriter.junitXml(report, reports.resolve("TEST-certification-qos.xml"));
        assertTrue(report.passed(), () -> report.checks().stream()
                .filter(c -> c.required() && c.verdict() == Verdict.FAIL)
                .map(c -> c.id() + ": " + c.evidence())
                .collect(Collectors.joining("\n")));
    }
}
