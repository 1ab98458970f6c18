package io.weir.samples.cache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.weir.certification.Candidate;
import io.weir.certification.CheckResult;
import io.weir.certification.Certifier;
import io.weir.certification.Report;
import io.weir.certification.ReportWriter;
import io.weir.certification.Verdict;
import io.weir.filter.FilterClass;

/**
 * The certification kit on the cache's factory, once per mode and, for write-back, with each way of honouring FLUSH
 * (forcing the cache file, or writing everything back). The kit's stalled-backend check lets the write-back cache
 * absorb more than a queue depth of writes because it keeps them on its file, not on the heap.
 */
class CacheCertificationTest {
    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"write-through", "write-around", "write-back", "write-back/backend"})
    void cachePassesEveryRequiredCertificationCheck(String variant) throws Exception {
        String mode = variant.split("/")[0];
        Map<String, Object> config = variant.equals("write-back/backend")
                ? Map.of("mode", mode, "cache.directory", directory.toString(), "cache.flush", "backend",
                        "cache.size", 1L << 20)
                : Map.of("mode", mode, "cache.directory", directory.toString(), "cache.size", 1L << 20);
        Candidate candidate = new Candidate("cache", FilterClass.CACHE, new CacheFilterFactory(), config,
                "weir-sample-cache (unit test)");
        Report report = Certifier.forCandidate(candidate).seed(7).budget(Duration.ofMillis(300)).run();
        Path reports = Files.createDirectories(Path.of("target", "certification"));
        String name = variant.replace('/', '-');
        ReportWriter.junitXml(report, reports.resolve("TEST-certification-cache-" + name + ".xml"));
        ReportWriter.html(report, reports.resolve("cache-" + name + ".html"));
        List<CheckResult> failed = report.checks().stream()
                .filter(c -> c.required() && c.verdict() != Verdict.PASS).toList();
        assertTrue(failed.isEmpty(), () -> failed.stream().map(c -> c.id() + ": " + c.evidence())
                .collect(Collectors.joining("\n")));
    }
}
