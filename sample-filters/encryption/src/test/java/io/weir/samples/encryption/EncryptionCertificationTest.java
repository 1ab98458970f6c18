package io.weir.samples.encryption;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.weir.certification.Candidate;
import io.weir.certification.Certifier;
import io.weir.certification.Report;
import io.weir.certification.ReportWriter;
import io.weir.certification.Verdict;
import io.weir.filter.FilterClass;

/**
 * The certification kit on the filter's factory, configured with a real keystore. The kit gives each of its disks a
 * sidecar that stays with the disk (across power losses and on a migration's destination), where the filter keeps
 * its wrapped data key.
 */
class EncryptionCertificationTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "encryption.discards={0}")
    @ValueSource(booleans = {false, true})
    void encryptionFilterPassesEveryRequiredCertificationCheck(boolean discards) throws Exception {
        Keystores ks = new Keystores(dir);
        Path store = ks.keystore("kek", Map.of("cert-kek", Keystores.aesKey(256)));
        Map<String, Object> config = new HashMap<>(
                Keystores.config(store, ks.passwordFile("kek", Keystores.PASSWORD), "cert-kek"));
        config.put("encryption.discards", discards);
        Candidate candidate = new Candidate("encryption", FilterClass.ENCRYPTION, new EncryptionFilterFactory(), config,
                "weir-sample-encryption (unit test)");
        Report report = Certifier.forCandidate(candidate).seed(1619).budget(Duration.ofMillis(300)).run();
        Path reports = Files.createDirectories(Path.of("target", "certification"));
        String name = discards ? "encryption-discards" : "encryption";
        ReportWriter.junitXml(report, reports.resolve("TEST-certification-" + name + ".xml"));
        ReportWriter.html(report, reports.resolve(name + ".html"));
        assertTrue(report.passed(), () -> report.checks().stream()
                .filter(c -> c.required() && c.verdict() == Verdict.FAIL)
                .map(c -> c.id() + ": " + c.evidence())
                .collect(Collectors.joining("\n")));
    }
}
