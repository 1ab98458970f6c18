package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void sizeSuffixesAreBinary() {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(1024, Sizes.parse("1K"));
        assertEquals(4096, Sizes.parse("4k"));
        assertEquals(512L << 20, Sizes.parse("512M"));
        assertEquals(1L << 30, Sizes.parse("1G"));
        assertEquals(1L << 30, Sizes.parse("1GiB"));
        assertEquals(2L << 40, Sizes.parse("2T"));
        assertEquals(3L << 29, Sizes.parse("1.5G"));
        assertEquals(100, Sizes.parse("100B"));
    }

    @Test
    void garbageSizeIsRefusedWithTheValueNamed() {
        for (String garbage : new String[] {"12Q", "", "G", "-1G", "1 G", "1GB", "1e6", "0x10", "1..5M"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(garbage), garbage);
            assertTrue(e.getMessage().startsWith("'" + garbage + "' is not a size"), e.getMessage());
            assertTrue(e.getMessage().contains("K, M, G or T"), e.getMessage());
        }
    }

    @Test
    void fractionThatIsNotAWholeNumberOfBytesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("1.1K"));
        assertEquals("'1.1K' is not a whole number of bytes", e.getMessage());
    }

    @Test
    void sizeBeyondSixtyThreeBitsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("9000000T"));
        assertTrue(e.getMessage().startsWith("'9000000T' is too large"), e.getMessage());
    }

    @Test
    void formatIsExactWithASuffixWhenItCanBe() {
        assertEquals("512B", Sizes.format(512));
        assertEquals("4K", Sizes.format(4096));
        assertEquals("1G", Sizes.format(1L << 30));
        assertEquals("1536M", Sizes.format(3L << 29));
        assertEquals("1.5K", Sizes.format(1536));
        assertEquals("1300M", Sizes.format(1363148800L));
        assertEquals("1.27G", Sizes.format(1363148800L + 512));
    }
}
