package io.weir.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type them: {@code 500ms}, {@code 10s}, {@code 1.5m}, {@code 2h}; a bare number is seconds. */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    private Durations() {
    }

    /**
     * Parse {@code text} into whole milliseconds (at least 1).
     *
     * @throws IllegalArgumentException naming the value and what a duration looks like
     */
    public static long parseMillis(String text) {
        String t = text == null ? "" : text.strip();
        Matcher m = DURATION.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: use a number with ms, s, m or h, e.g. 10s or 2m");
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        long factor = switch (unit) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
        BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(factor));
        if (millis.compareTo(BigDecimal.ONE) < 0) {
            throw new IllegalArgumentException("'" + text + "' is shorter than a millisecond");
        }
        if (millis.compareTo(BigDecimal.valueOf(7L * 24 * 3_600_000)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is longer than 7 days");
        }
        return millis.longValue();
    }

    /** {@code 3m12s}, {@code 45s}, {@code 2h5m}, {@code 1d3h}. */
    public static String format(long millis) {
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
        }
        if (s < 86400) {
            return s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : s % 3600 / 60 + "m");
        }
        return s / 86400 + "d" + (s % 86400 / 3600 == 0 ? "" : s % 86400 / 3600 + "h");
    }
}
