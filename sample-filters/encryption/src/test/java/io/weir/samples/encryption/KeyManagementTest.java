package io.weir.samples.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.weir.backend.Backend;
import io.weir.backend.BackendSpec;
import io.weir.backend.file.FileBackendProvider;
import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoRequest;
import io.weir.filter.Sidecar;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.SwapReport;
import io.weir.vscsi.stack.MapHandoff;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;
import io.weir.vscsi.store.SidecarStore;

/**
 * The data key: made at the first attach to a blank disk, kept wrapped in the sidecar, unwrapped only with the KEK that
 * wrapped it, and never made for a disk that already holds data.
 */
class KeyManagementTest {
    private static final long CAPACITY = 4L << 20;
    private static final String ALIAS = "disk-kek";

    @TempDir
    Path dir;

    private Keystores keystores;
    private SecretKey kek;
    private Path keystore;
    private Path passwordFile;
    private Path sidecars;

    @BeforeEach
    void keystore() throws Exception {
        keystores = new Keystores(dir);
        kek = Keystores.aesKey(256);
        keystore = keystores.keystore("kek", Map.of(ALIAS, kek, "other-kek", Keystores.aesKey(256)));
        passwordFile = keystores.passwordFile("kek", Keystores.PASSWORD);
        sidecars = Files.createDirectories(dir.resolve("sidecars"));
    }

    private Map<String, Object> config() {
        return Keystores.config(keystore, passwordFile, ALIAS);
    }

    private StandaloneDisk open(Backend backend, Map<String, Object> config) throws DiskException {
        return open(backend, new EncryptionFilterFactory(), config);
    }

    private StandaloneDisk open(Backend backend, FilterFactory factory, Map<String, Object> config)
            throws DiskException {
        return Disks.builder("vm1-disk0").backend(backend).blockSize(4096).sidecarDirectory(sidecars)
                .filter("encryption", FilterClass.ENCRYPTION, factory, config).open();
    }

    private Sidecar sidecar() {
        return new SidecarStore(sidecars).forFilter("encryption");
    }

    /** A disk written through the filter, closed: its memory image and sidecar stay. */
    private MemoryBackend encryptedDisk(byte[] plain) throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        try (StandaloneDisk disk = open(memory, config())) {
            Io.write(disk, 0, plain, true);
        }
        return memory;
    }

    private String refusal(Backend backend, Map<String, Object> config) {
        DiskException e = assertThrows(DiskException.class, () -> open(backend, config).close());
        return e.getMessage();
    }

    @Test
    void aRestartWithTheRightKekReadsEverythingBack() throws Exception {
        byte[] plain = Plaintext.random(1, 64 << 10);
        MemoryBackend memory = encryptedDisk(plain);
        try (StandaloneDisk disk = open(memory.reopen(), config())) {
            assertArrayEquals(plain, Io.read(disk, 0, plain.length));
            Io.write(disk, 1 << 20, plain, false);
        }
        try (StandaloneDisk disk = open(memory.reopen(), config())) {
            assertArrayEquals(plain, Io.read(disk, 1 << 20, plain.length));
        }
    }

    @Test
    void aRestartOverARealDiskImageWithTheRightKekReadsEverythingBackAndTheImageHoldsNoPlaintext() throws Exception {
        FileBackendProvider files = new FileBackendProvider();
        BackendSpec spec = new BackendSpec("vm1-disk0", CAPACITY, 4096,
                Files.createDirectories(dir.resolve("backend")), Map.of());
        byte[] plain = Plaintext.text("FROM: payroll; TO: everyone; AMOUNT: 100;", 256 << 10);
        try (StandaloneDisk disk = open(files.open(spec), config())) {
            Io.write(disk, 4096, plain, false);
            assertTrue(Io.run(disk, IoRequest.flush(Io.tag())).isOk());
        }
        byte[] image = Files.readAllBytes(dir.resolve("backend").resolve("disk.img"));
        assertEquals(CAPACITY, image.length);
        assertEquals(0, new Plaintext().add(plain).leaks(image), "plaintext in the disk image file");
        try (StandaloneDisk disk = open(files.open(spec), config())) {
            assertArrayEquals(plain, Io.read(disk, 4096, plain.length));
        }
        Path impostor = keystores.keystore("impostor", Map.of(ALIAS, Keystores.aesKey(256)));
        String why = refusal(files.open(spec), Keystores.config(impostor, passwordFile, ALIAS));
        assertTrue(why.contains("is not the KEK"), why);
    }

    @Test
    void theSidecarHoldsFormatCipherKekAliasFingerprintAndOnlyTheWrappedDataKey() throws Exception {
        byte[] plain = Plaintext.random(2, 4096);
        MemoryBackend memory = encryptedDisk(plain);
        KeyRecord record = KeyRecord.read(sidecar()).orElseThrow();
        assertEquals(1, record.format());
        assertEquals("AES-256-XTS", record.cipher());
        assertEquals(4096, record.dataUnit());
        assertEquals(ALIAS, record.kekAlias());
        assertArrayEquals(KeyEncryptionKey.of(ALIAS, kek).fingerprint(), record.kekFingerprint());
        assertEquals(Set.copyOf(KeyRecord.KEYS), sidecar().keys());

        // The JDK's own RFC 5649 unwrap with the KEK gives the data key, and that key encrypted what the backend holds.
        Cipher unwrap = Cipher.getInstance("AES/KWP/NoPadding");
        unwrap.init(Cipher.DECRYPT_MODE, kek);
        byte[] dataKey = unwrap.doFinal(record.wrappedKey());
        assertEquals(64, dataKey.length);
        assertFalse(Arrays.equals(dataKey, 0, 32, dataKey, 32, 64), "K1 equals K2");
        byte[] expected = new byte[4096];
        try (XtsAes xts = new XtsAes(dataKey, 4096)) {
            xts.encrypt(0, plain, 0, plain.length, expected, 0);
            assertArrayEquals(expected, memory.peek(0, 4096));
            // the tweak is the block number: block 37 holds the plaintext encrypted as data unit 37
            try (StandaloneDisk disk = open(memory.reopen(), config())) {
                Io.write(disk, 37 * 4096, plain, false);
            }
            xts.encrypt(37, plain, 0, plain.length, expected, 0);
            assertArrayEquals(expected, memory.peek(37 * 4096, 4096));
        }
        byte[] file = Files.readAllBytes(sidecars.resolve("encryption.sidecar"));
        assertEquals(-1, indexOf(file, Arrays.copyOf(dataKey, 16)), "K1 in the sidecar in clear");
        assertEquals(-1, indexOf(file, Arrays.copyOfRange(dataKey, 32, 48)), "K2 in the sidecar in clear");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aKeystoreWithoutTheKeksAliasIsRefused() throws Exception {
        MemoryBackend memory = encryptedDisk(Plaintext.random(3, 4096));
        Path other = keystores.keystore("other", Map.of("unrelated", Keystores.aesKey(256)));
        String why = refusal(memory.reopen(), Keystores.config(other, passwordFile, ALIAS));
        assertTrue(why.contains("has no entry '" + ALIAS + "'"), why);
    }

    @Test
    void anotherKeyUnderTheSameAliasIsRefusedByItsFingerprint() throws Exception {
        MemoryBackend memory = encryptedDisk(Plaintext.random(4, 4096));
        Path impostor = keystores.keystore("impostor", Map.of(ALIAS, Keystores.aesKey(256)));
        String why = refusal(memory.reopen(), Keystores.config(impostor, passwordFile, ALIAS));
        assertTrue(why.contains("is not the KEK that wrapped the disk's data key"), why);
        assertTrue(why.contains(KeyEncryptionKey.of(ALIAS, kek).shortFingerprint()), why);
    }

    @Test
    void anotherAliasThanTheOneThatWrappedTheKeyIsRefused() throws Exception {
        MemoryBackend memory = encryptedDisk(Plaintext.random(5, 4096));
        String why = refusal(memory.reopen(), Keystores.config(keystore, passwordFile, "other-kek"));
        assertTrue(why.contains("wrapped by KEK '" + ALIAS + "'"), why);
        assertTrue(why.contains("names 'other-kek'"), why);
    }

    @Test
    void aWrappedKeyThatDoesNotUnwrapIsRefused() throws Exception {
        MemoryBackend memory = encryptedDisk(Plaintext.random(6, 4096));
        byte[] wrapped = sidecar().get(KeyRecord.WRAPPED_KEY_KEY).orElseThrow();
        wrapped[10] ^= 1;
        sidecar().put(KeyRecord.WRAPPED_KEY_KEY, wrapped);
        String why = refusal(memory.reopen(), config());
        assertTrue(why.contains("does not unwrap"), why);
    }

    @Test
    void aWrongPasswordAWorldReadablePasswordFileAndANonAes256KekAreRefused() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        String why = refusal(memory, Keystores.config(keystore, keystores.passwordFile("wrong", "hunter2"), ALIAS));
        assertTrue(why.contains("is wrong"), why);

        Path open = keystores.passwordFile("open", Keystores.PASSWORD);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        why = refusal(memory, Keystores.config(keystore, open, ALIAS));
        assertTrue(why.contains("readable by every user"), why);

        Path weak = keystores.keystore("weak", Map.of(ALIAS, Keystores.aesKey(128)));
        why = refusal(memory, Keystores.config(weak, passwordFile, ALIAS));
        assertTrue(why.contains("not the AES-256 key a KEK must be"), why);

        why = refusal(memory, Map.of("encryption.keystore", keystore.toString()));
        assertTrue(why.contains("encryption.keystore.passwordFile is not set"), why);
        assertTrue(memory.blank(), "nothing was written by refused attaches");
        assertEquals(Optional.empty(), KeyRecord.read(sidecar()));
    }

    @Test
    void attachingToADiskWrittenWithoutEncryptionIsRefused() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        try (StandaloneDisk plain = Disks.builder("vm1-disk0").backend(memory).blockSize(4096)
                .sidecarDirectory(sidecars).open()) {
            Io.write(plain, 0, Plaintext.text("plain old data", 4096), false);
        }
        String why = refusal(memory.reopen(), config());
        assertTrue(why.contains("holds data written without encryption; attach the encryption filter only to a new,"
                + " empty disk"), why);
        assertTrue(why.contains("vm1-disk0"), why);
    }

    @Test
    void anAttachRolledBackBeforeAnyWriteLeavesNoKeyThatCouldVouchForPlaintextLater() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        FilterFactory refusesAttach = ctx -> new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                chain.pass();
            }

            @Override
            public void onEvent(ControlEvent event) throws FilterRefusedException {
                if (event.kind() == ControlEvent.Kind.ATTACH) {
                    throw new FilterRefusedException("not today");
                }
            }
        };
        // ATTACH travels from the backend side out: the encryption filter stores its new key, then the inspection
        // filter above refuses and the encryption filter gets DETACH.
        DiskException e = assertThrows(DiskException.class, () -> Disks.builder("vm1-disk0").backend(memory)
                .blockSize(4096).sidecarDirectory(sidecars)
                .filter("encryption", FilterClass.ENCRYPTION, new EncryptionFilterFactory(), config())
                .filter("refuser", FilterClass.INSPECTION, refusesAttach, Map.of()).open().close());
        assertTrue(e.getMessage().contains("not today"), e.getMessage());
        assertEquals(Optional.empty(), KeyRecord.read(sidecar()));

        try (StandaloneDisk plain = Disks.builder("vm1-disk0").backend(memory.reopen()).blockSize(4096)
                .sidecarDirectory(sidecars).open()) {
            Io.write(plain, 0, Plaintext.text("written in the clear", 4096), false);
        }
        assertTrue(refusal(memory.reopen(), config()).contains("holds data written without encryption"));
    }

    @Test
    void aDiskClosedBeforeItsFirstWriteKeepsNoKeyAndGetsAFreshOneNextTime() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        open(memory, config()).close();
        assertEquals(Optional.empty(), KeyRecord.read(sidecar()));
        byte[] plain = Plaintext.random(7, 8192);
        try (StandaloneDisk disk = open(memory.reopen(), config())) {
            Io.write(disk, 0, plain, false);
        }
        assertTrue(KeyRecord.read(sidecar()).isPresent());
        try (StandaloneDisk disk = open(memory.reopen(), config())) {
            assertArrayEquals(plain, Io.read(disk, 0, plain.length));
        }
    }

    @Test
    void aLiveSwapHandsOverOnlyAKeyCheckAndTheNewInstanceReadsWhatTheOldOneWrote() throws Exception {
        MemoryBackend memory = MemoryBackend.durable(CAPACITY);
        byte[] before = Plaintext.random(8, 16384);
        byte[] after = Plaintext.random(9, 16384);
        try (StandaloneDisk disk = open(memory, config())) {
            Io.write(disk, 0, before, false);
            SwapReport report = disk.swap("encryption", new EncryptionFilterFactory(), config(),
                    Duration.ofSeconds(10));
            assertEquals(1, report.stateKeys(), report.toString());
            assertEquals(32, report.stateBytes(), "a SHA-256 key check, never key material: " + report);
            assertArrayEquals(before, Io.read(disk, 0, before.length));
            Io.write(disk, 65536, after, true);
            // a swap to a KEK that did not wrap the key is refused, and the old instance carries on
            Path impostor = keystores.keystore("impostor", Map.of(ALIAS, Keystores.aesKey(256)));
            DiskException refused = assertThrows(DiskException.class, () -> disk.swap("encryption",
                    new EncryptionFilterFactory(), Keystores.config(impostor, passwordFile, ALIAS),
                    Duration.ofSeconds(10)));
            assertTrue(refused.getMessage().contains("is not the KEK"), refused.getMessage());
            assertArrayEquals(after, Io.read(disk, 65536, after.length));
        }
        try (StandaloneDisk disk = open(memory.reopen(), config())) {
            assertArrayEquals(before, Io.read(disk, 0, before.length));
            assertArrayEquals(after, Io.read(disk, 65536, after.length));
        }
    }

    @Test
    void aSuccessorRefusesToTakeOverWhenTheOutgoingInstanceServedAnotherKey() throws Exception {
        MemoryBackend memory = encryptedDisk(Plaintext.random(10, 4096));
        AtomicReference<Filter> created = new AtomicReference<>();
        EncryptionFilterFactory factory = new EncryptionFilterFactory();
        try (StandaloneDisk disk = open(memory.reopen(), ctx -> {
            Filter f = factory.create(ctx);
            created.set(f);
            return f;
        }, config())) {
            MapHandoff handoff = new MapHandoff(1 << 20);
            handoff.put(EncryptionFilter.HANDOFF_KEY_CHECK, new byte[32]);
            FilterRefusedException e = assertThrows(FilterRefusedException.class, () -> created.get().onEvent(
                    new ControlEvent(ControlEvent.Kind.SWAP_IN, CAPACITY, Instant.now().plusSeconds(5), handoff)));
            assertTrue(e.getMessage().contains("another data key"), e.getMessage());
        }
    }

    @Test
    void aDiskWithoutASidecarIsRefusedRatherThanEncryptedWithAKeyThatCouldNotBeKept() throws Exception {
        DiskException e = assertThrows(DiskException.class, () -> Disks.builder("scratch")
                .backend(MemoryBackend.durable(CAPACITY))
                .filter("encryption", FilterClass.ENCRYPTION, new EncryptionFilterFactory(), config()).open().close());
        assertTrue(e.getMessage().contains("cannot read the sidecar"), e.getMessage());
    }

    @Test
    void theKekFingerprintIsAnHmacUnderTheKekNotAHashOfIt() throws Exception {
        byte[] fingerprint = KeyEncryptionKey.of(ALIAS, kek).fingerprint();
        assertEquals(32, fingerprint.length);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(kek);
        assertArrayEquals(mac.doFinal("io.weir.samples.encryption: KEK fingerprint, version 1"
                .getBytes(StandardCharsets.US_ASCII)), fingerprint);
        assertFalse(Arrays.equals(fingerprint,
                MessageDigest.getInstance("SHA-256").digest(kek.getEncoded())));
        assertFalse(Arrays.equals(fingerprint, KeyEncryptionKey.of(ALIAS, Keystores.aesKey(256))
                .fingerprint()));
    }

    @Test
    void blockSizeMustMatchTheDataUnitTheKeyWasMadeFor() throws Exception {
        MemoryBackend memory = encryptedDisk(Plaintext.random(11, 4096));
        Map<String, Object> config = new HashMap<>(config());
        DiskException e = assertThrows(DiskException.class, () -> Disks.builder("vm1-disk0")
                .backend(memory.reopen()).blockSize(512).sidecarDirectory(sidecars)
                .filter("encryption", FilterClass.ENCRYPTION, new EncryptionFilterFactory(), config).open().close());
        assertTrue(e.getMessage().contains("4096-byte data units"), e.getMessage());
    }
}
