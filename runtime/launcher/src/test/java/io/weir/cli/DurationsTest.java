package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void unitsAreMillisecondsSecondsMinutesAndHoursAndABareNumberIsSeconds() {
        assertEquals(500, Durations.parseMillis("500ms"));
        assertEquals(10_000, Durations.parseMillis("10s"));
        assertEquals(10_000, Durations.parseMillis("10"));
        assertEquals(90_000, Durations.parseMillis("1.5m"));
        assertEquals(7_200_000, Durations.parseMillis("2h"));
    }

    @Test
    void garbageDurationIsRefusedWithTheValueNamed() {
        for (String garbage : new String[] {"soon", "10x", "-1s", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis(garbage));
            assertTrue(e.getMessage().startsWith("'" + garbage + "' is not a duration"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("0s")).getMessage()
                .contains("shorter than a millisecond"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("8d")).getMessage()
                .contains("not a duration"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("200h")).getMessage()
                .contains("longer than 7 days"));
    }

    @Test
    void formatIsCompact() {
        assertEquals("45s", Durations.format(45_000));
        assertEquals("3m12s", Durations.format(192_000));
        assertEquals("2h5m", Durations.format(7_500_000));
        assertEquals("1d3h", Durations.format(97_200_000));
    }
}
