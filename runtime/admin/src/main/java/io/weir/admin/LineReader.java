package io.weir.admin;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads newline-terminated lines of at most {@code max} bytes from a stream. A longer line is not kept: it
 * is read to its end and discarded, and reported as {@link Line#tooLarge()}, so one bad request never costs
 * more than {@code max} bytes of memory and the connection can carry on.
 */
final class LineReader {
    /** One line without its terminator ({@code \n} or {@code \r\n}); {@code bytes} is null when too large. */
    record Line(byte[] bytes, long length) {
        boolean tooLarge() {
            return bytes == null;
        }
    }

    private final InputStream in;
    private final int max;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int end;

    LineReader(InputStream in, int max) {
        this.in = in;
        this.max = max;
    }

    /** The next line, or null at end of stream. A final line without terminator still counts. */
    Line next() throws IOException {
        byte[] line = new byte[256];
        int len = 0;
        long total = 0;
        boolean discarding = false;
        while (true) {
            if (pos == end) {
                int n = in.read(buf, 0, buf.length);
                if (n < 0) {
                    if (total == 0 && !discarding) {
                        return null;
                    }
                    return finish(line, len, total, discarding);
                }
                pos = 0;
                end = n;
            }
            int nl = -1;
            for (int i = pos; i < end; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int chunkEnd = nl < 0 ? end : nl;
            int chunk = chunkEnd - pos;
            total += chunk;
            if (!discarding && total > max + 1L) { // +1 leaves room for a '\r' before the '\n'
                discarding = true;
                line = null;
            }
            if (!discarding) {
                if (len + chunk > line.length) {
                    line = Arrays.copyOf(line, Math.max(len + chunk, Math.min(line.length * 2, max + 1)));
                }
                System.arraycopy(buf, pos, line, len, chunk);
                len += chunk;
            }
            pos = chunkEnd;
            if (nl >= 0) {
                pos++; // past the '\n'
                return finish(line, len, total, discarding);
            }
        }
    }

    private Line finish(byte[] line, int len, long total, boolean discarding) {
        if (discarding) {
            return new Line(null, total);
        }
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (len > max) {
            return new Line(null, len);
        }
        return new Line(Arrays.copyOf(line, len), len);
    }
}
