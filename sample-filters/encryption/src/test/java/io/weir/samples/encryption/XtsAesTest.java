package io.weir.samples.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * XTS-AES against the test vectors of IEEE Std 1619 (Annex B, "XTS-AES-128 and XTS-AES-256 test vectors"; the data
 * unit sequence number is the tweak, little-endian), and the properties the filter relies on.
 */
class XtsAesTest {
    private static final HexFormat HEX = HexFormat.of();

    /** Bytes 00..ff twice: the 512-byte plaintext of IEEE 1619 vectors 4 to 14. */
    private static byte[] counting512() {
        byte[] p = new byte[512];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    private static void assertVector(String key1, String key2, long sequenceNumber, byte[] plain, String cipherHex) {
        byte[] key = HEX.parseHex(key1 + key2);
        byte[] expected = HEX.parseHex(cipherHex);
        try (XtsAes xts = new XtsAes(key, plain.length)) {
            byte[] out = new byte[plain.length];
            xts.encrypt(sequenceNumber, plain, 0, plain.length, out, 0);
            assertEquals(cipherHex, HEX.formatHex(out));
            byte[] back = new byte[plain.length];
            xts.decrypt(sequenceNumber, expected, 0, expected.length, back, 0);
            assertArrayEquals(plain, back);
        }
    }

    @Test
    void ieee1619Vector2XtsAes128With32ByteDataUnit() {
        assertVector("11111111111111111111111111111111", "22222222222222222222222222222222", 0x3333333333L,
                HEX.parseHex("44".repeat(32)),
                "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0");
    }

    @Test
    void ieee1619Vector3XtsAes128With32ByteDataUnit() {
        assertVector("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0", "22222222222222222222222222222222", 0x3333333333L,
                HEX.parseHex("44".repeat(32)),
                "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89");
    }

    @Test
    void ieee1619Vector4XtsAes128With512ByteDataUnit() {
        assertVector("27182818284590452353602874713526", "31415926535897932384626433832795", 0, counting512(),
                "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
                + "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
                + "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
                + "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
                + "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
                + "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
                + "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
                + "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
                + "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
                + "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
                + "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
                + "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
                + "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
                + "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
                + "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
                + "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568");
    }

    @Test
    void ieee1619Vector10XtsAes256With512ByteDataUnit() {
        assertVector("2718281828459045235360287471352662497757247093699959574966967627",
                "3141592653589793238462643383279502884197169399375105820974944592", 0xff, counting512(),
                "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
                + "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
                + "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
                + "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
                + "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
                + "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
                + "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
                + "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
                + "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
                + "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
                + "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
                + "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
                + "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
                + "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
                + "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
                + "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151");
    }

    @Test
    void ieee1619Vector1KeyIsRefusedBecauseK1EqualsK2() {
        // Vector 1 uses K1 = K2 = 0, which SP 800-38E forbids; the cipher refuses such a key instead of using it.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new XtsAes(new byte[32], 32));
        assertTrue(e.getMessage().contains("K1 equals K2"), e.getMessage());
        byte[] same = new byte[64];
        Arrays.fill(same, (byte) 7);
        assertThrows(IllegalArgumentException.class, () -> new XtsAes(same, 4096));
    }

    @Test
    void keysOtherThanTwoAes128OrTwoAes256KeysAndPartialBlocksAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new XtsAes(new byte[48], 512));
        assertThrows(IllegalArgumentException.class, () -> new XtsAes(key(1), 520));
        try (XtsAes xts = new XtsAes(key(1), 512)) {
            assertThrows(IllegalArgumentException.class,
                    () -> xts.encrypt(0, ByteBuffer.allocate(1000), ByteBuffer.allocate(1000)));
        }
    }

    private static byte[] key(long seed) {
        byte[] k = new byte[64];
        new Random(seed).nextBytes(k);
        return k;
    }

    @Test
    void aLongBufferEncryptsAsItsDataUnitsOneByOneAcrossChunkBoundaries() {
        int unit = 4096;
        int units = 40; // 160 KiB: crosses the 64 KiB chunks the cipher works in
        byte[] plain = new byte[unit * units];
        new Random(3).nextBytes(plain);
        try (XtsAes xts = new XtsAes(key(2), unit)) {
            byte[] whole = new byte[plain.length];
            xts.encrypt(1000, plain, 0, plain.length, whole, 0);
            for (int u = 0; u < units; u++) {
                byte[] one = new byte[unit];
                xts.encrypt(1000 + u, plain, u * unit, unit, one, 0);
                assertArrayEquals(one, Arrays.copyOfRange(whole, u * unit, (u + 1) * unit), "unit " + u);
            }
            byte[] back = new byte[plain.length];
            xts.decrypt(1000, whole, 0, whole.length, back, 0);
            assertArrayEquals(plain, back);
        }
    }

    @Test
    void directAndHeapBuffersAtAnyPositionGiveTheSameCiphertextAndKeepTheirPositions() {
        int unit = 512;
        byte[] plain = new byte[unit * 300];
        new Random(4).nextBytes(plain);
        try (XtsAes xts = new XtsAes(key(5), unit)) {
            byte[] expected = new byte[plain.length];
            xts.encrypt(77, plain, 0, plain.length, expected, 0);

            ByteBuffer src = ByteBuffer.allocateDirect(plain.length + 100);
            src.put(100, plain).position(100);
            ByteBuffer dst = ByteBuffer.allocateDirect(plain.length + 10);
            dst.position(10);
            xts.encrypt(77, src, dst);
            assertEquals(100, src.position());
            assertEquals(10, dst.position());
            byte[] got = new byte[plain.length];
            dst.get(10, got);
            assertArrayEquals(expected, got);

            xts.decrypt(77, dst);
            dst.get(10, got);
            assertArrayEquals(plain, got);
            assertEquals(10, dst.position());
        }
    }

    @Test
    void encryptionNeverChangesItsInputAndTheSameBlockDiffersAtEveryAddress() {
        int unit = 4096;
        byte[] plain = new byte[unit * 2];
        Arrays.fill(plain, (byte) 0x5a);
        byte[] copy = plain.clone();
        try (XtsAes xts = new XtsAes(key(6), unit)) {
            byte[] out = new byte[plain.length];
            xts.encrypt(0, plain, 0, plain.length, out, 0);
            assertArrayEquals(copy, plain);
            assertFalse(Arrays.equals(out, 0, unit, out, unit, 2 * unit), "units 0 and 1 encrypt alike");
            for (int b = 16; b < unit; b += 16) {
                assertFalse(Arrays.equals(out, 0, 16, out, b, b + 16), "blocks 0 and " + b / 16 + " of a unit alike");
            }
        }
    }

    @Test
    void aClosedKeyRefusesWork() {
        XtsAes xts = new XtsAes(key(7), 512);
        xts.close();
        assertThrows(IllegalStateException.class, () -> xts.decrypt(0, ByteBuffer.allocate(512)));
    }
}
