package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every case of the {@link BundleCorpus}: Weir's verdict carries exactly the expected reason codes, with messages
 * naming the entry, class or certificate, and the real {@code jarsigner -verify -strict} (vendor root in its keystore)
 * agrees with the verdict, except where the case documents that Weir is stricter, which is asserted too.
 */
class HostileCorpusTest {
    @TempDir
    static Path dir;
    private static BundleCorpus corpus;
    private static BundleVerifier verifier;
    private static Jarsigner jarsigner;

    @BeforeAll
    static void buildCorpus() throws Exception {
        corpus = new BundleCorpus(dir.resolve("corpus"));
        verifier = new BundleVerifier(corpus.trustStore(), Clock.systemUTC());
        jarsigner = new Jarsigner(dir.resolve("truststore.p12"), List.of(corpus.pki().root()));
    }

    @ParameterizedTest
    @EnumSource(BundleCorpus.Case.class)
    void verdictCarriesTheCaseReasonsNamingTheCulpritAndJarsignerAgreesUnlessWeirIsStricter(BundleCorpus.Case c)
            throws Exception {
        Path jar = corpus.build(c);
        Verdict verdict = verifier.verify(jar);

        Set<ReasonCode> codes = verdict.reasons().stream().map(Reason::code)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ReasonCode.class)));
        assertEquals(c.codes(), codes, () -> c + ": " + verdict.reasons());
        for (ReasonCode code : c.codes()) {
            assertTrue(verdict.reasons().stream().anyMatch(r -> r.code() == code && r.message().contains(c.named())),
                    () -> c + ": no " + code + " reason names '" + c.named() + "': " + verdict.reasons());
        }
        assertEquals(c.codes().isEmpty(), verdict.accepted(), () -> c + ": " + verdict.reasons());

        Jarsigner.Result result = jarsigner.verify(jar);
        boolean jarsignerShouldAccept = c.jarsigner() == BundleCorpus.JarsignerView.WEIR_STRICTER || verdict.accepted();
        assertEquals(jarsignerShouldAccept, result.accepted(), () -> c + ": jarsigner exit " + result.exitCode()
                + "\n" + result.output() + "\nWeir: " + verdict.reasons());
        if (c.jarsigner() == BundleCorpus.JarsignerView.WEIR_STRICTER) {
            assertFalse(verdict.accepted(), c + " is documented as refused by Weir only");
        }
    }
}
