package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.weir.conn.PaceWindow;

/** The minimum-rate rule's window: summed over waits, not renewed by progress, checked at its end. */
class MinimumRateTest {

    private static final long MS = 1_000_000L;

    @Test
    void shouldAskTheRateTimesTheWindowOrOneByteAtRateZero() {
        assertEquals(1_000, new MinimumRate(2_000 * MS, 500).minBytesPerWindow());
        assertEquals(1, new MinimumRate(2_000 * MS, 0).minBytesPerWindow());
        assertEquals(1, new MinimumRate(1 * MS, 1).minBytesPerWindow(), "a tiny window still asks for progress");
        assertEquals(3_600L * (1L << 30), new MinimumRate(3_600_000 * MS, 1L << 30).minBytesPerWindow(),
            "the largest window at the largest rate does not overflow");
    }

    @Test
    void shouldLeaveOnlyWhatIsLeftOfTheWindowToALaterWait() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 1_000);
        final PaceWindow pace = new PaceWindow();
        assertEquals(1_000 * MS, rate.beginWait(pace, 0, 0), "the first wait gets the whole window");
        rate.endWait(pace, 300 * MS);
        // Another stage's time (the origin's, say) between the waits does not count.
        assertEquals(700 * MS, rate.beginWait(pace, 5_000 * MS, 999_999), "a later wait gets what is left");
        assertEquals(0, pace.movedAtOpen, "the count is read when the window opens, not at each wait");
    }

    @Test
    void shouldRenewTheWindowOnlyForAClientThatMovedTheRate() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 1_000);
        final PaceWindow pace = new PaceWindow();
        rate.beginWait(pace, 0, 100);
        assertTrue(rate.keptPace(pace, 1_000 * MS, 1_100), "1,000 bytes in one second");
        assertTrue(pace.waiting, "the wait goes on in a new window");
        assertEquals(1_100, pace.movedAtOpen, "counted from the window's start");
        assertFalse(rate.keptPace(pace, 2_000 * MS, 2_099), "999 bytes in the next second");
        assertFalse(pace.waiting, "a failed wait is over");
    }

    @Test
    void shouldCountBytesMovedBetweenWaitsInTheWindowTheyFellIn() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 1_000);
        final PaceWindow pace = new PaceWindow();
        rate.beginWait(pace, 0, 0);
        rate.endWait(pace, 400 * MS);
        rate.beginWait(pace, 900 * MS, 600);
        assertTrue(rate.keptPace(pace, 1_500 * MS, 1_000), "600 bytes in the first wait, 400 in the second");
        pace.reset();
        assertEquals(1_000 * MS, rate.beginWait(pace, 9_000 * MS, 5), "a reset opens a whole new window");
        assertEquals(5, pace.movedAtOpen, "at the count of its first wait");
    }
}
