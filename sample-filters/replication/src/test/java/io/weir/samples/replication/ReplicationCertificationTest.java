package io.weir.samples.replication;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.certification.Candidate;
import io.weir.certification.Certifier;
import io.weir.certification.Report;
import io.weir.certification.ReportWriter;
import io.weir.certification.Verdict;
import io.weir.filter.FilterClass;

/**
 * The certification kit on the filter's factory, in each configuration a partner ships: asynchronous and
 * synchronous with a real receiver on loopback (the kit's disks replicate to it, and the kit checks the replica
 * through the {@link Loopback} harness), and with no replica configured (what {@code weir certify} runs without
 * settings). The kit reads the mode from {@code replication.mode}.
 */
class ReplicationCertificationTest {
    @TempDir
    Path tmp;

    @Test
    void asyncReplicationToALoopbackReceiverPassesEveryRequiredCheck() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            certify("async", net.config("async"), net);
        }
    }

    @Test
    void syncReplicationToALoopbackReceiverPassesEveryRequiredCheck() throws Exception {
        try (Loopback net = new Loopback(tmp)) {
            // The default 'fail' policy: no synchronous write succeeds while the replica is unreachable.
            certify("sync", net.config("sync"), net);
        }
    }

    @Test
    void replicationWithoutAReplicaConfiguredPassesEveryRequiredCheck() throws Exception {
        certify("no-target", Map.of(), null);
    }

    private static void certify(String name, Map<String, Object> config, Loopback replica) throws Exception {
        Candidate candidate = new Candidate("replication", FilterClass.REPLICATION, new ReplicationFilterFactory(),
                config, "weir-sample-replication (unit test, " + name + ")");
        if (replica != null) {
            candidate = candidate.withReplica(replica);
        }
        Report report = Certifier.forCandidate(candidate).budget(Duration.ofMillis(300)).run();
        Path reports = Files.createDirectories(Path.of("target", "certification"));
        ReportWriter.junitXml(report, reports.resolve("TEST-certification-replication-" + name + ".xml"));
        ReportWriter.html(report, reports.resolve("replication-" + name + ".html"));
        if (replica != null) {
            assertTrue(report.checks().stream().anyMatch(c -> c.id().equals("replica-semantics")
                    && c.verdict() == Verdict.PASS), "the kit checked the replica");
        }
        assertTrue(report.passed(), () -> report.checks().stream()
                .filter(c -> c.required() && c.verdict() == Verdict.FAIL)
                .map(c -> c.id() + ": " + c.evidence())
                .collect(Collectors.joining("\n")));
    }
}
