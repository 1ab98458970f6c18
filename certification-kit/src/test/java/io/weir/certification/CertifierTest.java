package io.weir.certification;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.weir.certification.broken.BlocksCaller;
import io.weir.certification.broken.CompletesTwice;
import io.weir.certification.broken.DropsFlush;
import io.weir.certification.broken.AcksBeforeReplica;
import io.weir.certification.broken.DropsWhileCut;
import io.weir.certification.broken.EarlyAck;
import io.weir.certification.broken.HoardsWrites;
import io.weir.certification.broken.IgnoresStun;
import io.weir.certification.broken.InventsRequests;
import io.weir.certification.broken.LeaksPlaintext;
import io.weir.certification.broken.MissesDeadline;
import io.weir.certification.broken.SwallowsErrors;
import io.weir.certification.reference.PassThroughFilter;
import io.weir.certification.reference.MirrorReplication;
import io.weir.certification.reference.WriteBackCache;
import io.weir.certification.reference.XorEncryption;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The engine against correct candidates of every class and against candidates that each break one rule. */
class CertifierTest {
    static final Duration BUDGET = Duration.ofMillis(300);
    static final long SEED = 20260101L;

    static Report certify(String name, FilterClass c, FilterFactory f, Map<String, Object> config) {
        return Certifier.forCandidate(new Candidate(name, c, f, config, "test")).seed(SEED).budget(BUDGET).run();
    }

    /** The ids of the required checks that did not pass. */
    static Set<String> failed(Report r) {
        return r.checks().stream().filter(CheckResult::required).filter(c -> c.verdict() != Verdict.PASS)
                .map(CheckResult::id).collect(Collectors.toCollection(TreeSet::new));
    }

    static String explain(Report r) {
        StringBuilder s = new StringBuilder();
        for (CheckResult c : r.checks()) {
            s.append('\n').append(c.id()).append(' ').append(c.verdict()).append(" (").append(c.millis()).append(" ms)");
            if (c.verdict() != Verdict.PASS) {
                c.evidence().forEach(e -> s.append("\n    ").append(e));
            }
        }
        return s.toString();
    }

    static String evidence(Report r, String id) {
        return String.join("\n", r.check(id).evidence());
    }

    @ParameterizedTest
    @EnumSource(FilterClass.class)
    void correctCandidateOfEveryClassPassesEveryRequiredCheck(FilterClass c) {
        FilterFactory f = c == FilterClass.ENCRYPTION ? new XorEncryption(0x5EC12E7L) : new PassThroughFilter();
        Report r = certify("good-" + c.name().toLowerCase(), c, f, Map.of());
        assertEquals(Set.of(), failed(r), explain(r));
        assertTrue(r.passed());
    }

    @Test
    void correctWriteBackCachePassesEveryRequiredCheck() {
        Report r = certify("write-back", FilterClass.CACHE, new WriteBackCache(), Map.of("mode", "write-back"));
        assertEquals(Set.of(), failed(r), explain(r));
        assertTrue(evidence(r, "ack-semantics").contains("right after SWAP_OUT: the backend holds 8 of 8"),
                evidence(r, "ack-semantics"));
    }

    /** Certify a broken candidate and check exactly which required checks fail. */
    static Report expectFailures(String name, FilterClass c, FilterFactory f, Map<String, Object> config,
                                 Set<String> expected) {
        Report r = certify(name, c, f, config);
        assertEquals(new TreeSet<>(expected), failed(r), explain(r));
        assertTrue(!r.passed());
        return r;
    }

    @Test
    void candidateCompletingARequestTwiceFailsExactlyOnceNamingTheSecondDisposition() {
        Report r = expectFailures("completes-twice", FilterClass.INSPECTION, new CompletesTwice(), Map.of(),
                Set.of("exactly-once", "fault-free"));
        assertTrue(evidence(r, "exactly-once").contains("completed WRITE"), evidence(r, "exactly-once"));
        assertTrue(evidence(r, "exactly-once").contains("each request must be disposed of exactly once"));
    }

    @Test
    void candidateInventingRequestsFailsExactlyOnceNamingTheInventedRequest() {
        Report r = expectFailures("invents", FilterClass.INSPECTION, new InventsRequests(), Map.of(),
                Set.of("exactly-once"));
        assertTrue(evidence(r, "exactly-once").contains("invented request: READ["), evidence(r, "exactly-once"));
    }

    @Test
    void cacheDroppingFlushesFailsDurabilityAndHidesFlushErrors() {
        Report r = expectFailures("drops-flush", FilterClass.CACHE, new DropsFlush(), Map.of("mode", "write-through"),
                Set.of("durability", "error-propagation"));
        assertTrue(evidence(r, "durability").contains("after power loss"), evidence(r, "durability"));
        assertTrue(evidence(r, "error-propagation").contains("FLUSH #"), evidence(r, "error-propagation"));
    }

    @Test
    void writeThroughCacheAcknowledgingBeforeTheBackendFailsAckSemantics() {
        Report r = expectFailures("early-ack", FilterClass.CACHE, new EarlyAck(), Map.of("mode", "write-through"),
                Set.of("ack-semantics", "error-propagation"));
        assertTrue(evidence(r, "ack-semantics").contains("completed to the guest"), evidence(r, "ack-semantics"));
        assertTrue(evidence(r, "error-propagation").contains("WRITE["), evidence(r, "error-propagation"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"sync", "async"})
    void replicationWithAReplicaHarnessPassesReplicaSemantics(String mode) {
        MirrorReplication mirror = new MirrorReplication();
        Report r = Certifier.forCandidate(new Candidate("mirror-" + mode, FilterClass.REPLICATION, mirror,
                Map.of("mode", mode), "test").withReplica(mirror)).budget(Duration.ofMillis(200)).seed(3).run();
        assertEquals(Set.of(), failed(r), explain(r));
        assertEquals(Verdict.PASS, r.check("replica-semantics").verdict(), explain(r));
        assertTrue(evidence(r, "replica-semantics").contains("caught up"), evidence(r, "replica-semantics"));
    }

    @Test
    void synchronousReplicationAcknowledgingWithoutTheReplicaFailsReplicaSemantics() {
        AcksBeforeReplica f = new AcksBeforeReplica();
        Report r = Certifier.forCandidate(new Candidate("acks-early", FilterClass.REPLICATION, f, Map.of("mode", "sync"),
                "test").withReplica(f)).budget(Duration.ofMillis(200)).seed(3).run();
        assertEquals(Set.of("replica-semantics"), failed(r), explain(r));
        assertTrue(evidence(r, "replica-semantics").contains("completed, but the replica holds"),
                evidence(r, "replica-semantics"));
    }

    @Test
    void asynchronousReplicationDroppingWritesWhileCutFailsReplicaSemantics() {
        DropsWhileCut f = new DropsWhileCut();
        Report r = Certifier.forCandidate(new Candidate("drops", FilterClass.REPLICATION, f, Map.of("mode", "async"),
                "test").withReplica(f)).budget(Duration.ofMillis(200)).seed(3).run();
        assertEquals(Set.of("replica-semantics"), failed(r), explain(r));
        assertTrue(evidence(r, "replica-semantics").contains("did not catch up"), evidence(r, "replica-semantics"));
    }

    @Test
    void writeBackCacheHoardingAcknowledgedWritesInMemoryFailsNonBlocking() {
        Report r = expectFailures("hoards", FilterClass.CACHE, new HoardsWrites(), Map.of("mode", "write-back"),
                Set.of("non-blocking"));
        assertTrue(evidence(r, "non-blocking").contains("buffers acknowledged data in memory"),
                evidence(r, "non-blocking"));
    }

    @Test
    void candidateWhoseFactoryThrowsFailsWithTheReasonInsteadOfStoppingTheRun() {
        FilterFactory broken = context -> {
            throw new IllegalStateException("no licence key configured");
        };
        Report r = certify("no-licence", FilterClass.INSPECTION, broken, Map.of());
        assertTrue(!r.passed());
        assertEquals(Certifier.checkIds(), r.checks().stream().map(CheckResult::id).toList());
        assertEquals(Verdict.FAIL, r.check("data-integrity").verdict());
        assertTrue(evidence(r, "data-integrity").contains("no licence key configured"), evidence(r, "data-integrity"));
    }

    @Test
    void listenerHearsEveryCheckStartAndFinishInOrder() {
        List<String> heard = new ArrayList<>();
        Report r = Certifier.forCandidate(new Candidate("listened", FilterClass.QOS, new PassThroughFilter(), Map.of(),
                "test")).seed(SEED).budget(BUDGET).listener(new ProgressListener() {
                    @Override
                    public void started(String id, int index, int total) {
                        heard.add("start " + index + "/" + total + " " + id);
                    }

                    @Override
                    public void finished(CheckResult result) {
                        heard.add("end " + result.id());
                    }
                }).run();
        List<String> expected = new ArrayList<>();
        List<String> ids = Certifier.checkIds();
        for (int i = 0; i < ids.size(); i++) {
            expected.add("start " + (i + 1) + "/" + ids.size() + " " + ids.get(i));
            expected.add("end " + ids.get(i));
        }
        assertEquals(expected, heard);
        assertEquals(SEED, r.seed());
    }

    @Test
    void checkIdsNameEveryCheckOnceWithFaultFreeLast() {
        List<String> ids = Certifier.checkIds();
        assertEquals(List.of("class-and-position", "exactly-once", "data-integrity", "durability", "ack-semantics",
                "replica-semantics", "error-propagation", "control-events", "swap-handoff", "non-blocking", "deadlines",
                "overhead", "fault-free"), ids);
    }

    @Test
    void overheadIsRequiredOnlyWhenABudgetIsSet() {
        Candidate c = new Candidate("slow-xor", FilterClass.ENCRYPTION, new XorEncryption(7), Map.of(), "test");
        Report informational = Certifier.forCandidate(c).seed(SEED).budget(BUDGET).run();
        assertEquals(Verdict.INFO, informational.check("overhead").verdict());
        assertTrue(!informational.check("overhead").required());
        Report strict = Certifier.forCandidate(c).seed(SEED).budget(BUDGET).overheadBudget(1.0).run();
        CheckResult overhead = strict.check("overhead");
        assertTrue(overhead.required());
        assertEquals(Verdict.FAIL, overhead.verdict(), String.join("\n", overhead.evidence()));
        assertTrue(String.join("\n", overhead.evidence()).contains("exceeds the overhead budget of 1.00"));
    }

    @Test
    void encryptionPassingPlaintextDownFailsAckSemantics() {
        Report r = expectFailures("leaks", FilterClass.ENCRYPTION, new LeaksPlaintext(), Map.of(),
                Set.of("ack-semantics"));
        assertTrue(evidence(r, "ack-semantics").contains("plaintext below the filter"), evidence(r, "ack-semantics"));
    }

    @Test
    void candidateTurningBackendFailuresIntoSuccessFailsErrorPropagation() {
        Report r = expectFailures("swallows", FilterClass.REPLICATION, new SwallowsErrors(), Map.of(),
                Set.of("error-propagation"));
        assertTrue(evidence(r, "error-propagation").contains("yet the guest was told it succeeded"),
                evidence(r, "error-propagation"));
    }

    @Test
    void candidateHoldingRequestsThroughAStunFailsControlEventsAndCannotBeSwapped() {
        // a swap stuns the disk first: a filter that keeps its deferred requests through STUN cannot be swapped either
        Report r = expectFailures("ignores-stun", FilterClass.REPLICATION, new IgnoresStun(), Map.of(),
                Set.of("control-events", "swap-handoff"));
        assertTrue(evidence(r, "control-events").contains("did not drain"), evidence(r, "control-events"));
        assertTrue(evidence(r, "swap-handoff").contains("did not drain"), evidence(r, "swap-handoff"));
    }

    @Test
    void candidateSleepingInHandleFailsNonBlocking() {
        Report r = expectFailures("blocks", FilterClass.INSPECTION, new BlocksCaller(), Map.of(),
                Set.of("non-blocking"));
        assertTrue(evidence(r, "non-blocking").contains("blocked the caller's thread in handle"),
                evidence(r, "non-blocking"));
    }

    @Test
    void candidateMissingAnEventDeadlineFailsDeadlinesAndIsFenced() {
        Report r = expectFailures("misses-deadline", FilterClass.INSPECTION, new MissesDeadline(), Map.of(),
                Set.of("deadlines", "fault-free"));
        // the core gives up at the deadline; whether the candidate's own 700 ms are observed by then is a race
        assertTrue(evidence(r, "deadlines").contains("SNAPSHOT_PREPARE was not accepted")
                && evidence(r, "deadlines").contains("missed the 500 ms deadline"), evidence(r, "deadlines"));
        assertTrue(evidence(r, "fault-free").contains("missed the 500 ms deadline of SNAPSHOT_PREPARE"),
                evidence(r, "fault-free"));
    }
}
