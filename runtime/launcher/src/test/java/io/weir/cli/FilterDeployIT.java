package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.weir.filter.FilterClass;
import io.weir.trust.BundleSigner;
import io.weir.trust.Jarsigner;
import io.weir.trust.Pki;
import io.weir.trust.SigningIdentity;

/**
 * The deploy pipeline through the real {@code weir} command and a real runtime that trusts only a PKI made by the
 * test: what is accepted runs, what is refused is refused for its own reason and never reaches the framework,
 * and deployments survive restarts only while their bytes and signatures still hold.
 */
class FilterDeployIT extends WeirProcessTest {
    private static final char[] PASSWORD = "pki-password".toCharArray();

    private Path work;
    private Pki pki;
    private SigningIdentity acme;

    @BeforeEach
    void trustATestPki() throws Exception {
        work = Files.createDirectories(dataDir.resolve("work"));
        pki = Pki.init(work.resolve("pki"), PASSWORD, "Test Vendor", 30);
        acme = pki.issuePartner("Acme Storage", EnumSet.of(FilterClass.CACHE, FilterClass.REPLICATION), 30);
        Path trust = Files.createDirectories(dataDir.resolve("trust"));
        Files.copy(pki.rootCertificateFile(), trust.resolve("vendor-root.pem"));
        Files.copy(pki.crlFile(), trust.resolve("vendor-root.crl"));
    }

    private Path signed(TestBundles.Spec spec, SigningIdentity by) throws Exception {
        Path jar = TestBundles.build(work, spec);
        Path out = work.resolve(spec.symbolicName + "-signed.jar");
        BundleSigner.sign(jar, out, by);
        return out;
    }

    private Process start(String log) throws Exception {
        return startRuntime(dataDir.resolve(log), "--no-demo", "--no-development-trust");
    }

    private JsonObject filterList() throws Exception {
        Result r = weir("filter", "list", "--json");
        assertOk(r);
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    private JsonObject bundle(String name) throws Exception {
        for (JsonElement e : filterList().getAsJsonArray("bundles")) {
            if (e.getAsJsonObject().get("name").getAsString().equals(name)) {
                return e.getAsJsonObject();
            }
        }
        return null;
    }

    private boolean filterAvailable(String name) throws Exception {
        for (JsonElement e : filterList().getAsJsonArray("filters")) {
            if (e.getAsJsonObject().get("name").getAsString().equals(name)) {
                return true;
            }
        }
        return false;
    }

    private void assertRefused(Result r, String code, String detail) {
        assertEquals(ExitCode.RUNTIME_ERROR, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains(code), "expected " + code + " in:\n" + r.err());
        assertTrue(r.err().contains(detail), "expected '" + detail + "' in:\n" + r.err());
    }

    @Test
    void partnerBundleIsDeployedKeptAcrossRestartsAndUndeployedOnlyWhenNoDiskUsesIt() throws Exception {
        Process runtime = start("run1.log");
        Path cache = signed(new TestBundles.Spec("acme-cache"), acme);
        Result deploy = weir("filter", "deploy", cache.toString());
        assertOk(deploy);
        assertTrue(deploy.out().contains("deployed acme-cache 1.0.0 signed by") && deploy.out().contains("PARTNER"), deploy.out());
        JsonObject b = bundle("acme-cache");
        assertEquals("ACTIVE", b.get("state").getAsString(), b.toString());
        assertTrue(b.get("signer").getAsString().contains("Acme Storage"), b.toString());
        assertTrue(filterAvailable("acme-cache"));

        assertOk(weir("disk", "create", "d1", "--size", "16M"));
        assertOk(weir("filter", "attach", "d1", "acme-cache"));
        assertOk(weir("io", "--disk", "d1", "--verify", "--bytes", "2M"));
        Result configured = weir("filter", "configure", "d1", "acme-cache", "--config", "note=second");
        assertOk(configured);
        assertTrue(configured.out().contains("reconfigured acme-cache on disk d1 (live swap: stalled"), configured.out());
        assertOk(weir("io", "--disk", "d1", "--verify", "--bytes", "1M"));
        Result busy = weir("filter", "undeploy", "acme-cache");
        assertEquals(ExitCode.RUNTIME_ERROR, busy.exit());
        assertTrue(busy.err().contains("in use by disk(s) d1"), busy.err());

        assertOk(weir("stop"));
        assertTrue(runtime.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        runtime = start("run2.log");
        assertEquals("ACTIVE", bundle("acme-cache").get("state").getAsString());
        assertEquals("ONLINE", state(diskList(), "d1"));
        assertOk(weir("io", "--disk", "d1", "--verify", "--bytes", "1M"));

        // the stored copy changes while the runtime is down: refused at the next start, the disk waits
        assertOk(weir("stop"));
        assertTrue(runtime.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS));
        try (var files = Files.list(dataDir.resolve("filters").resolve("bundles"))) {
            Path stored = files.filter(p -> p.getFileName().toString().startsWith("acme-cache-")).findFirst().orElseThrow();
            Files.write(stored, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
        }
        start("run3.log");
        JsonObject refused = bundle("acme-cache");
        assertEquals("REFUSED", refused.get("state").getAsString(), refused.toString());
        assertTrue(refused.get("verdict").toString().contains("changed on disk since it was deployed"), refused.toString());
        assertFalse(filterAvailable("acme-cache"));
        assertEquals("WAITING", state(diskList(), "d1"));

        assertOk(weir("filter", "detach", "d1", "acme-cache"));
        assertOk(weir("filter", "undeploy", "acme-cache"));
        assertEquals(null, bundle("acme-cache"));
        assertOk(weir("stop"));
    }

    @Test
    void hostileBundlesAreRefusedForTheirOwnReasonAndNeverInstalled() throws Exception {
        start("run1.log");
        SigningIdentity cacheOnly = pki.issuePartner("Cache Only Ltd", EnumSet.of(FilterClass.CACHE), 30);
        Pki stranger = Pki.init(work.resolve("stranger-pki"), PASSWORD, "Stranger Vendor", 30);
        SigningIdentity strangerPartner = stranger.issuePartner("Stranger", EnumSet.of(FilterClass.CACHE), 30);

        Path unsigned = TestBundles.build(work, new TestBundles.Spec("h-unsigned"));
        assertRefused(weir("filter", "deploy", unsigned.toString()), "UNSIGNED", "h-unsigned");

        Path vendorOnly = signed(new TestBundles.Spec("h-qos").declares("QOS").registers("QOS"), acme);
        assertRefused(weir("filter", "deploy", vendorOnly.toString()), "VENDOR_ONLY", "QOS");

        Path notEntitled = signed(new TestBundles.Spec("h-repl").declares("REPLICATION").registers("REPLICATION"), cacheOnly);
        assertRefused(weir("filter", "deploy", notEntitled.toString()), "NOT_ENTITLED", "REPLICATION");

        Path untrusted = signed(new TestBundles.Spec("h-stranger"), strangerPartner);
        assertRefused(weir("filter", "deploy", untrusted.toString()), "UNTRUSTED", "");

        Path exits = signed(new TestBundles.Spec("h-exit").onCreate("System.exit(3);"), acme);
        assertRefused(weir("filter", "deploy", exits.toString()), "PROCESS_EXIT", "Factory");

        Path internals = signed(new TestBundles.Spec("h-internal")
                .imports("io.weir.filter;version=\"[1.0,2)\",io.weir.vscsi"), acme);
        assertRefused(weir("filter", "deploy", internals.toString()), "IMPORT_NOT_ALLOWED", "io.weir.vscsi");

        // revocation: a partner whose certificate is revoked and the CRL handed to the runtime
        SigningIdentity revoked = pki.issuePartner("Revoked Inc", EnumSet.of(FilterClass.CACHE), 30);
        Path byRevoked = signed(new TestBundles.Spec("h-revoked"), revoked);
        pki.revoke(revoked.certificate().getSerialNumber(), "keyCompromise");
        Files.copy(pki.crlFile(), dataDir.resolve("trust").resolve("vendor-root.crl"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertRefused(weir("filter", "deploy", byRevoked.toString()), "REVOKED", "");

        // validly signed, entitled and clean, but it acknowledges FLUSH without passing it down: certification fails
        Path dropsFlush = signed(new TestBundles.Spec("h-dropsflush").filter("(request, chain) -> {"
                + " if (request.op() == IoOp.FLUSH) { chain.complete(); } else { chain.pass(); } }"), acme);
        assertRefused(weir("filter", "deploy", dropsFlush.toString()), "certification: h-dropsflush: durability failed", "");

        for (String name : List.of("h-unsigned", "h-qos", "h-repl", "h-stranger", "h-exit", "h-internal", "h-revoked",
                "h-dropsflush")) {
            JsonObject b = bundle(name);
            assertTrue(b != null && b.get("state").getAsString().equals("REFUSED"), name + ": " + b);
            assertFalse(filterAvailable(name), name + " must never reach the framework");
        }

        // jarsigner -verify -strict, trusting the same root, agrees where the rule is the JAR format's own, and
        // accepts what only Weir refuses: entitlements (a Weir extension), partner code limits and revocation by
        // Weir's CRL are Weir's rules, not the JAR signature's
        Jarsigner jarsigner = new Jarsigner(work.resolve("truststore.p12"), List.of(pki.root()));
        assertFalse(jarsigner.verify(unsigned).accepted(), "unsigned");
        assertFalse(jarsigner.verify(untrusted).accepted(), "untrusted root");
        for (Path stricter : List.of(vendorOnly, notEntitled, exits, internals, byRevoked)) {
            assertTrue(jarsigner.verify(stricter).accepted(), stricter + ": " + jarsigner.verify(stricter).output());
        }

        // accepted at deploy (its code and entitlement are fine) but registers a class it did not declare: fenced
        Path sneaky = signed(new TestBundles.Spec("h-sneaky").declares("CACHE").registers("REPLICATION"), acme);
        weir("filter", "deploy", sneaky.toString());
        JsonObject fenced = awaitState("h-sneaky", "FENCED");
        assertTrue(fenced.get("verdict").toString().contains("does not declare"), fenced.toString());
        assertFalse(filterAvailable("h-sneaky"));

        // the watched folder: an accepted bundle is deployed and removed, a refused one moved aside with its reasons
        Path deployDir = dataDir.resolve("deploy");
        Files.copy(signed(new TestBundles.Spec("w-good"), acme), deployDir.resolve("w-good.jar"));
        Files.copy(unsigned, deployDir.resolve("w-bad.jar"));
        awaitState("w-good", "ACTIVE");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (!Files.exists(deployDir.resolve("refused").resolve("w-bad.jar.txt")) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Files.readString(deployDir.resolve("refused").resolve("w-bad.jar.txt")).contains("UNSIGNED"));
        assertFalse(Files.exists(deployDir.resolve("w-good.jar")));
        assertTrue(filterAvailable("w-good"));
        assertOk(weir("stop"));
    }

    /** A command that needs no runtime (and takes no --data-dir). */
    private Result offline(Map<String, String> env, String... args) throws Exception {
        return finish(start(env, args));
    }

    private JsonObject awaitState(String name, String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        JsonObject b = null;
        while (System.nanoTime() < deadline) {
            b = bundle(name);
            if (b != null && b.get("state").getAsString().equals(state)) {
                return b;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " never became " + state + ": " + b);
    }

    @Test
    void pkiSignAndVerifyCommandsMakeABundleTheRuntimeAccepts() throws Exception {
        Map<String, String> env = Map.of(Passwords.PKI_ENV, "s3cret-pki", Passwords.KEY_ENV, "s3cret-key");
        Path pkiDir = work.resolve("cli-pki");
        assertOk(offline(env, "pki", "init", "--dir", pkiDir.toString(), "--name", "CLI Vendor"));
        Path p12 = work.resolve("partner.p12");
        Result issued = offline(env, "pki", "issue-partner", "--dir", pkiDir.toString(), "--name", "CLI Partner",
                "--classes", "CACHE", "--days", "10", "--out", p12.toString());
        assertOk(issued);
        Result vendorOnly = offline(env, "pki", "issue-partner", "--dir", pkiDir.toString(), "--name", "Greedy",
                "--classes", "ENCRYPTION", "--out", work.resolve("greedy.p12").toString());
        assertEquals(ExitCode.USAGE, vendorOnly.exit());
        assertTrue(vendorOnly.err().contains("vendor-only"), vendorOnly.err());

        Path jar = TestBundles.build(work, new TestBundles.Spec("cli-cache"));
        assertOk(offline(env, "sign", jar.toString(), "--key", p12.toString()));
        Path trust = work.resolve("cli-trust");
        Files.createDirectories(trust);
        Files.copy(pkiDir.resolve("root.pem"), trust.resolve("root.pem"));
        Files.copy(pkiDir.resolve("root.crl"), trust.resolve("root.crl"));
        Result ok = weir("verify", jar.toString(), "--trust", trust.toString(), "--no-development-trust");
        assertOk(ok);
        assertTrue(ok.out().contains("ACCEPTED") && ok.out().contains("CLI Partner"), ok.out());
        Result untrusted = weir("verify", jar.toString(), "--no-development-trust", "--trust",
                dataDir.resolve("trust").toString());
        assertEquals(ExitCode.RUNTIME_ERROR, untrusted.exit());
        assertTrue(untrusted.out().contains("UNTRUSTED"), untrusted.out());

        // a node certificate for replication's mutual TLS: listed apart, and never a bundle signer
        Path node = work.resolve("replica-a.p12");
        Result nodeIssued = offline(env, "pki", "issue-node", "--dir", pkiDir.toString(), "--name", "replica-a",
                "--host", "localhost", "--host", "127.0.0.1", "--out", node.toString());
        assertOk(nodeIssued);
        assertTrue(nodeIssued.out().contains("hosts localhost, 127.0.0.1"), nodeIssued.out());
        Result badHost = offline(env, "pki", "issue-node", "--dir", pkiDir.toString(), "--name", "x", "--host",
                "not a host", "--out", work.resolve("x.p12").toString());
        assertEquals(ExitCode.USAGE, badHost.exit(), badHost.err());
        Result listed = offline(env, "pki", "list", "--dir", pkiDir.toString());
        assertOk(listed);
        assertTrue(listed.out().lines().anyMatch(l -> l.contains("CN=replica-a") && l.contains("NODE")
                && l.contains("localhost,127.0.0.1")), listed.out());
        Path nodeSigned = TestBundles.build(work, new TestBundles.Spec("node-signed"));
        assertOk(offline(env, "sign", nodeSigned.toString(), "--key", node.toString()));
        Result refused = weir("verify", nodeSigned.toString(), "--trust", trust.toString(), "--no-development-trust");
        assertEquals(ExitCode.RUNTIME_ERROR, refused.exit(), refused.out());
    }
}
