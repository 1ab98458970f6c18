package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

/**
 * The partner cache and the vendor encryption samples as an operator uses them, following their READMEs: signed by
 * the build, deployed through the pipeline (certification included), attached to disks a real NBD client uses.
 */
class SampleFiltersIT extends WeirProcessTest {
    private static Path sample(String artifact) {
        Path dir = Path.of(System.getProperty("weir.test.samples", "target/test-samples"));
        Path jar = dir.resolve(artifact + ".jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing; the build copies it before the tests");
        return jar;
    }

    private static boolean tool(String name) {
        try {
            Process p = new ProcessBuilder(name, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private String uri(String disk) {
        return "nbd+unix:///" + disk + "?socket=" + dataDir.resolve("run").resolve("nbd.sock");
    }

    private Result qemuIo(String disk, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(uri(disk));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "qemu-io did not finish");
        return new Result(p.exitValue(), out, err);
    }

    /** Whether any file under {@code dir} holds a run of 8 bytes of {@code value}. */
    private static boolean holdsRun(Path dir, byte value) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] all = Files.readAllBytes(f);
                int run = 0;
                for (byte b : all) {
                    run = b == value ? run + 1 : 0;
                    if (run >= 8) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void encryptionDeploysWithItsCertificationSettingsAndNothingBelowItSeesPlaintext() throws Exception {
        assumeTrue(tool("qemu-io"), "needs qemu-io (Debian: qemu-utils)");
        Path keys = Files.createDirectories(dataDir.resolve("keys"));
        Path keystore = keys.resolve("kek.p12");
        Path passwordFile = keys.resolve("kek.pass");
        String password = "kek-secret-123";
        ProcessBuilder keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genseckey", "-storetype", "PKCS12", "-keyalg", "AES", "-keysize", "256", "-alias", "weir-kek",
                "-keystore", keystore.toString(), "-storepass", password, "-keypass", password).redirectErrorStream(true);
        Process k = keytool.start();
        String keytoolOut = new String(k.getInputStream().readAllBytes());
        assertTrue(k.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS) && k.exitValue() == 0, keytoolOut);
        Files.writeString(passwordFile, password + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-------"));
        String[] settings = {"encryption.keystore=" + keystore, "encryption.keystore.passwordFile=" + passwordFile,
            "encryption.kek.alias=weir-kek"};

        startRuntime(dataDir.resolve("runtime.log"), "--no-demo");
        Result deployed = weir("filter", "deploy", sample("weir-sample-encryption").toString(),
                "--certify-config", settings[0], "--certify-config", settings[1], "--certify-config", settings[2]);
        assertOk(deployed);
        assertTrue(deployed.out().contains("signed by") && deployed.out().contains("VENDOR"), deployed.out());
        assertOk(weir("disk", "create", "vault", "--size", "64M", "--block-size", "4096"));
        assertOk(weir("filter", "attach", "vault", "encryption", "--config", settings[0], "--config", settings[1],
                "--config", settings[2]));

        Result io = qemuIo("vault", "write -P 0x5a 0 1M", "write -P 0xa5 8M 64k", "flush", "read -P 0x5a 0 1M");
        assertEquals(0, io.exit(), io.out() + io.err());
        Path storage = dataDir.resolve("disks").resolve("vault").resolve("backend");
        assertTrue(!holdsRun(storage, (byte) 0x5a) && !holdsRun(storage, (byte) 0xa5),
                "the disk's storage holds plaintext runs");

        Result detach = weir("filter", "detach", "vault", "encryption");
        assertEquals(ExitCode.RUNTIME_ERROR, detach.exit(), detach.out());
        assertTrue(detach.err().contains("holds data stored through filter 'encryption'"), detach.err());

        // a restart finds the wrapped key in the sidecar and reads everything back
        assertOk(weir("stop"));
        startRuntime(dataDir.resolve("runtime2.log"), "--no-demo");
        Result again = qemuIo("vault", "read -P 0x5a 0 1M", "read -P 0xa5 8M 64k");
        assertEquals(0, again.exit(), again.out() + again.err());

        assertOk(weir("filter", "detach", "vault", "encryption", "--erase"));
    }

    @Test
    void vendorOnlySamplesResignedByAPartnerAreRefusedAtDeployWithTheEntitlementReason() throws Exception {
        Path devPki = Path.of(System.getProperty("weir.devpki.dir", "../../target/development-pki"));
        Path partnerKey = devPki.resolve("development-partner.p12");
        assertTrue(Files.isRegularFile(partnerKey), partnerKey + " is missing; the build makes it");
        startRuntime(dataDir.resolve("runtime.log"), "--no-demo");
        for (String[] sample : new String[][] {{"weir-sample-encryption", "ENCRYPTION"}, {"weir-sample-qos", "QOS"}}) {
            Path copy = dataDir.resolve(sample[0] + "-partner.jar");
            Files.copy(sample(sample[0]), copy);
            assertOk(finish(start(java.util.Map.of(Passwords.KEY_ENV, "development"), "sign", copy.toString(), "--key",
                    partnerKey.toString(), "--resign")));
            Result deploy = weir("filter", "deploy", copy.toString());
            assertEquals(ExitCode.RUNTIME_ERROR, deploy.exit(), deploy.out());
            assertTrue(deploy.err().contains("VENDOR_ONLY") && deploy.err().contains(sample[1]), deploy.err());
        }
    }

    @Test
    void writeBackCacheSwapsWithDirtyDataUnderAVerifyingNbdClient() throws Exception {
        String python = python();
        assumeTrue(python != null, "needs python3 with the libnbd binding (Debian: python3-libnbd)");
        Path load = Path.of(System.getProperty("weir.nbd.load", "../../bench/nbd-verify-load.py"));
        startRuntime(dataDir.resolve("runtime.log"), "--no-demo");
        Result deployed = weir("filter", "deploy", sample("weir-sample-cache").toString());
        assertOk(deployed);
        assertTrue(deployed.out().contains("PARTNER"), deployed.out());
        assertOk(weir("disk", "create", "c", "--size", "64M"));
        Path cacheDir = Files.createDirectories(dataDir.resolve("cache"));
        assertOk(weir("filter", "attach", "c", "cache", "--config", "cache.mode=write-back", "--config",
                "cache.directory=" + cacheDir, "--config", "cache.size=8388608"));

        Path stop = dataDir.resolve("stop-load");
        Path report = dataDir.resolve("load.json");
        Process client = new ProcessBuilder(python, load.toString(), uri("c"), "--depth", "16",
                "--span", String.valueOf(16 << 20), "--seconds", "900", "--stop-file", stop.toString())
                .redirectOutput(report.toFile()).redirectError(dataDir.resolve("load.err").toFile()).start();
        long handedOver = 0;
        try {
            awaitGuestIo("c");
            for (int i = 0; i < 20; i++) {
                Thread.sleep(100); // let dirty data build up between swaps
                JsonObject req = AdminClient.op("filter.configure");
                req.addProperty("disk", "c");
                req.addProperty("filter", "cache");
                JsonObject config = new JsonObject();
                config.addProperty("cache.mode", "write-back");
                config.addProperty("cache.directory", cacheDir.toString());
                config.addProperty("cache.size", "8388608");
                config.addProperty("cache.writeback.high", i % 2 == 0 ? "70" : "50");
                req.add("config", config);
                JsonObject swap = admin(req).getAsJsonObject("swap");
                handedOver += swap.get("stateBytes").getAsLong();
            }
        } finally {
            Files.writeString(stop, "stop");
            assertTrue(client.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the NBD client did not stop");
        }
        String out = Files.readString(report);
        assertEquals(0, client.exitValue(), "the NBD client saw errors:\n" + out + Files.readString(dataDir.resolve("load.err")));
        JsonObject r = JsonParser.parseString(out).getAsJsonObject();
        assertEquals(0, r.get("errors").getAsLong(), out);
        assertEquals(0, r.get("verifyFailures").getAsLong(), out);
        assertTrue(handedOver > 0, "the cache handed its warm index over at least once");
        System.out.println("write-back cache swapped 20 times under the NBD client; warm index handed over: "
                + handedOver + " bytes; client: " + r);
        assertOk(weir("filter", "detach", "c", "cache")); // writes everything back first
    }

}
