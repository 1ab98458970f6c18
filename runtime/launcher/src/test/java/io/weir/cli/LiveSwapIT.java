package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.weir.filter.FilterClass;
import io.weir.trust.BundleSigner;
import io.weir.trust.Pki;
import io.weir.trust.SigningIdentity;

/**
 * Hot swap as an operator does it, under a real NBD client (libnbd, verifying every byte it reads against what
 * was acknowledged): fifty live swaps of a filter, swaps while the layer below is slow, a filter attached and
 * detached, an upgrade to a new bundle version, an upgrade whose new instance refuses the old state (that disk
 * stays on the old version) and the upgrade that fixes it. The client must see no error and every byte must
 * verify at the end.
 */
class LiveSwapIT extends WeirProcessTest {
    private static final char[] PASSWORD = "pki-password".toCharArray();
    private static final int SWAPS = 50;

    /** Hands its state over under key tap.v1 and takes any state. */
    private static final String TAP_V1 = "new Filter() {"
            + " public void handle(IoRequest r, IoChain c) { c.pass(); }"
            + " public void onEvent(ControlEvent e) {"
            + "   if (e.kind() == ControlEvent.Kind.SWAP_OUT) { e.handoff().get().put(\"tap.v1\", new byte[] {1}); }"
            + " } }";
    /** Writes state under tap.v3 only, and refuses to take over from an instance that did not. */
    private static final String TAP_V3_STRICT = "new Filter() {"
            + " public void handle(IoRequest r, IoChain c) { c.pass(); }"
            + " public void onEvent(ControlEvent e) throws FilterRefusedException {"
            + "   if (e.kind() == ControlEvent.Kind.SWAP_OUT) { e.handoff().get().put(\"tap.v3\", new byte[] {3}); }"
            + "   if (e.kind() == ControlEvent.Kind.SWAP_IN && e.handoff().get().get(\"tap.v3\").isEmpty()) {"
            + "     throw new FilterRefusedException(\"cannot read the state of a tap older than 1.2 (no tap.v3 key)\"); }"
            + " } }";

    private Path work;
    private SigningIdentity vendor;
    private SigningIdentity partner;

    @BeforeEach
    void trustATestPki() throws Exception {
        work = Files.createDirectories(dataDir.resolve("work"));
        Pki pki = Pki.init(work.resolve("pki"), PASSWORD, "Test Vendor", 30);
        vendor = pki.vendor();
        partner = pki.issuePartner("Acme Storage", EnumSet.of(FilterClass.CACHE), 30);
        Path trust = Files.createDirectories(dataDir.resolve("trust"));
        Files.copy(pki.rootCertificateFile(), trust.resolve("vendor-root.pem"));
        Files.copy(pki.crlFile(), trust.resolve("vendor-root.crl"));
    }

    private Path tap(String version, String filter) throws Exception {
        return signed(new TestBundles.Spec("com.acme.tap").declares("INSPECTION").registers("INSPECTION")
                .version(version).filter(filter), vendor);
    }

    private Path signed(TestBundles.Spec spec, SigningIdentity by) throws Exception {
        spec.filterName = spec.symbolicName.substring(spec.symbolicName.lastIndexOf('.') + 1);
        Path jar = TestBundles.build(work, spec);
        Path out = work.resolve(spec.symbolicName + "-" + spec.version + "-signed.jar");
        BundleSigner.sign(jar, out, by);
        return out;
    }

    private JsonObject configure(String disk, String filter, String key, String value) throws Exception {
        JsonObject req = AdminClient.op("filter.configure");
        req.addProperty("disk", disk);
        req.addProperty("filter", filter);
        JsonObject config = new JsonObject();
        config.addProperty(key, value);
        req.add("config", config);
        return admin(req);
    }

    private String tapOrigin() throws Exception {
        Result r = weir("disk", "info", "d", "--json");
        assertOk(r);
        for (JsonElement l : JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("stack")) {
            JsonObject layer = l.getAsJsonObject();
            if (layer.get("name").getAsString().equals("tap")) {
                return layer.get("bundle").getAsString();
            }
        }
        return "absent";
    }

    @Test
    void guestIoSeesNoErrorThroughSwapsUpgradesAttachDetachAndARefusedUpgrade() throws Exception {
        String python = python();
        assumeTrue(python != null, "needs python3 with the libnbd binding (Debian: python3-libnbd)");
        Path load = Path.of(System.getProperty("weir.nbd.load", "../../bench/nbd-verify-load.py"));
        assertTrue(Files.isRegularFile(load), load + " is missing");

        startRuntime(dataDir.resolve("runtime.log"), "--no-demo", "--no-development-trust");
        assertOk(weir("filter", "deploy", tap("1.0.0", TAP_V1).toString()));
        assertOk(weir("disk", "create", "d", "--size", "64M"));
        assertOk(weir("filter", "attach", "d", "tap"));
        Path slowJar = signed(new TestBundles.Spec("com.acme.slowpoke").declares("CACHE").registers("CACHE")
                .filter("(request, chain) -> context.schedule(chain::pass, java.time.Duration.ofMillis(2))"), partner);
        Path tap11 = tap("1.1.0", TAP_V1);
        Path tap12 = tap("1.2.0", TAP_V3_STRICT);
        Path tap13 = tap("1.3.0", TAP_V1);

        Path stop = work.resolve("stop-load");
        Path report = work.resolve("load.json");
        ProcessBuilder pb = new ProcessBuilder(python, load.toString(),
                "nbd+unix:///d?socket=" + dataDir.resolve("run").resolve("nbd.sock"), "--depth", "16",
                "--span", String.valueOf(32 << 20), "--seconds", "900", "--stop-file", stop.toString());
        pb.redirectOutput(report.toFile());
        pb.redirectError(work.resolve("load.err").toFile());
        Process client = pb.start();
        try {
            awaitGuestIo("d");
            List<Double> stalls = new ArrayList<>();
            for (int i = 0; i < SWAPS; i++) {
                JsonObject r = configure("d", "tap", "round", String.valueOf(i));
                stalls.add(r.getAsJsonObject("swap").get("stallMillis").getAsDouble());
            }
            assertEquals(SWAPS, stalls.size());
            System.out.printf(java.util.Locale.ROOT, "%d live swaps under the NBD client: stall max %.2f ms, mean %.2f ms%n",
                    SWAPS, stalls.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                    stalls.stream().mapToDouble(Double::doubleValue).average().orElse(0));

            // slow below the swapped filter: a partner CACHE filter that defers every request by 2 ms
            assertOk(weir("filter", "deploy", slowJar.toString()));
            assertOk(weir("filter", "attach", "d", "slowpoke"));
            for (int i = 0; i < 5; i++) {
                assertTrue(configure("d", "tap", "round", "slow-" + i).has("swap"));
            }
            assertOk(weir("filter", "detach", "d", "slowpoke"));

            Result up = weir("filter", "upgrade", tap11.toString());
            assertOk(up);
            assertTrue(up.out().contains("upgraded com.acme.tap 1.0.0 -> 1.1.0: 1 disk(s) moved; 1.0.0 removed"), up.out());
            assertTrue(up.out().contains("disk d: tap com.acme.tap 1.0.0 -> com.acme.tap 1.1.0 (live swap: stalled"), up.out());
            assertEquals("com.acme.tap 1.1.0", tapOrigin());

            // 1.2.0 certifies (it swaps with itself) but cannot take over from 1.1.0: the disk stays on 1.1.0
            Result refused = weir("filter", "upgrade", tap12.toString());
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.out().contains("disk d: tap stays on com.acme.tap 1.1.0:"), refused.out());
            assertTrue(refused.out().contains("cannot read the state of a tap older than 1.2"), refused.out());
            assertEquals("com.acme.tap 1.1.0", tapOrigin());

            Result fixed = weir("filter", "upgrade", tap13.toString());
            assertOk(fixed);
            assertTrue(fixed.out().contains("com.acme.tap 1.1.0 -> com.acme.tap 1.3.0"), fixed.out());
            assertEquals("com.acme.tap 1.3.0", tapOrigin());
            Result list = weir("filter", "list", "--json");
            assertOk(list);
            long taps = JsonParser.parseString(list.out()).getAsJsonObject().getAsJsonArray("bundles").asList().stream()
                    .filter(b -> b.getAsJsonObject().get("name").getAsString().equals("com.acme.tap")).count();
            assertEquals(1, taps, "1.1.0 and 1.2.0 are gone once no disk uses them: " + list.out());
        } finally {
            Files.writeString(stop, "stop");
            assertTrue(client.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the NBD client did not stop");
        }
        String out = Files.readString(report);
        assertEquals(0, client.exitValue(), "the NBD client saw errors:\n" + out + Files.readString(work.resolve("load.err")));
        JsonObject r = JsonParser.parseString(out).getAsJsonObject();
        System.out.println("NBD client report: " + r);
        assertEquals(0, r.get("errors").getAsLong(), out);
        assertEquals(0, r.get("verifyFailures").getAsLong(), out);
        assertTrue(r.get("finalVerifiedBlocks").getAsLong() > 0, out);
        assertFalse(r.get("writes").getAsLong() == 0 || r.get("reads").getAsLong() == 0, out);
    }

    @Test
    void aDiskAnUpgradeCouldNotMoveStaysOnItsVersionAcrossARestart() throws Exception {
        startRuntime(dataDir.resolve("runtime.log"), "--no-demo", "--no-development-trust");
        assertOk(weir("filter", "deploy", tap("1.1.0", TAP_V1).toString()));
        assertOk(weir("disk", "create", "d", "--size", "16M"));
        assertOk(weir("filter", "attach", "d", "tap"));
        Result refused = weir("filter", "upgrade", tap("1.2.0", TAP_V3_STRICT).toString());
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertEquals("com.acme.tap 1.1.0", tapOrigin());

        assertOk(weir("stop"));
        runtimes.get(0).waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
        startRuntime(dataDir.resolve("runtime2.log"), "--no-demo", "--no-development-trust");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (tapOrigin().equals("absent") && System.nanoTime() < end) {
            Thread.sleep(100); // the disk opens once its version's bundle is back
        }
        assertEquals("com.acme.tap 1.1.0", tapOrigin(), "the disk came back on the version it stayed on");
        Result list = weir("filter", "list");
        assertTrue(list.out().contains("superseded by 1.2.0"), list.out());

        Result fixed = weir("filter", "upgrade", tap("1.3.0", TAP_V1).toString());
        assertOk(fixed);
        assertEquals("com.acme.tap 1.3.0", tapOrigin());
        assertOk(weir("stop"));
        runtimes.get(1).waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
        startRuntime(dataDir.resolve("runtime3.log"), "--no-demo", "--no-development-trust");
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (tapOrigin().equals("absent") && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertEquals("com.acme.tap 1.3.0", tapOrigin(), "moved disks follow the newest version");
    }
}
