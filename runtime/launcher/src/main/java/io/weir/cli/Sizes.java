package io.weir.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as people type them: a number with an optional binary suffix K, M, G or T (1K = 1024 bytes),
 * optionally followed by {@code iB}, or {@code B} for plain bytes. Case does not matter. A fraction is
 * accepted when it comes to whole bytes ({@code 1.5G}).
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)(?:([kmgt])(?:ib)?|b)?");
    private static final String[] UNITS = {"", "K", "M", "G", "T", "P", "E"};

    private Sizes() {
    }

    /**
     * Parse {@code text} into bytes.
     *
     * @throws IllegalArgumentException naming the value and what a size looks like
     */
    public static long parse(String text) {
        String t = text == null ? "" : text.strip();
        Matcher m = SIZE.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size: use a number of bytes with an optional"
                    + " K, M, G or T suffix (binary, 1K = 1024), e.g. 4096, 512M or 1G");
        }
        int shift = m.group(2) == null ? 0 : 10 * ("kmgt".indexOf(m.group(2)) + 1);
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large (at most 8E, 2^63-1 bytes)");
        }
    }

    /** A short rendering: exact with a binary suffix when possible ({@code 1G}, {@code 1536M}), else two decimals ({@code 1.27G}). */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        for (int u = unit; u > 0; u--) {
            if (bytes % (1L << (10 * u)) == 0) {
                long whole = bytes >> (10 * u);
                if (whole < 10_000) {
                    return whole + UNITS[u];
                }
            }
        }
        double value = bytes / (double) (1L << (10 * unit));
        String s = String.format(Locale.ROOT, "%.2f", value);
        s = s.replaceAll("\\.?0+$", "");
        return s + UNITS[unit];
    }
}
