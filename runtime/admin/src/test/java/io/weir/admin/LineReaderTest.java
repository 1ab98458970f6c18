package io.weir.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class LineReaderTest {
    private static LineReader reader(String s, int max) {
        return new LineReader(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)), max);
    }

    @Test
    void linesEndAtNewlineWithOrWithoutCarriageReturn() throws IOException {
        LineReader r = reader("a\r\nbc\n\nlast", 10);
        assertArrayEquals("a".getBytes(), r.next().bytes());
        assertArrayEquals("bc".getBytes(), r.next().bytes());
        assertArrayEquals(new byte[0], r.next().bytes());
        assertArrayEquals("last".getBytes(), r.next().bytes());
        assertNull(r.next());
    }

    @Test
    void overlongLineIsDiscardedToItsEndAndReadingCarriesOn() throws IOException {
        LineReader r = reader("0123456789ABC\nok\n", 10);
        LineReader.Line big = r.next();
        assertTrue(big.tooLarge());
        assertEquals(13, big.length());
        assertArrayEquals("ok".getBytes(), r.next().bytes());
    }

    @Test
    void lineOfExactlyTheLimitIsKept() throws IOException {
        assertArrayEquals("0123456789".getBytes(), reader("0123456789\r\n", 10).next().bytes());
        assertTrue(reader("0123456789A\n", 10).next().tooLarge());
    }
}
