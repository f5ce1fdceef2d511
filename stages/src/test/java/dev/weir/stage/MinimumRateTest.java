package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.weir.conn.PaceWindow;

/**
 * The minimum-rate rule's window: summed over waits, not renewed by progress, judged every half window over the
 * two halves before.
 */
class MinimumRateTest {

    private static final long MS = 1_000_000L;

    @Test
    void shouldAskTheRateTimesTheWindowOrOneByteAtRateZero() {
        assertEquals(1_000, new MinimumRate(2_000 * MS, 500).minBytesPerWindow());
        assertEquals(1, new MinimumRate(2_000 * MS, 0).minBytesPerWindow());
        assertEquals(1, new MinimumRate(1 * MS, 1).minBytesPerWindow(), "a tiny window still asks for progress");
        assertEquals(3_600L * (1L << 30), new MinimumRate(3_600_000 * MS, 1L << 30).minBytesPerWindow(),
            "the largest window at the largest rate does not overflow");
        assertEquals(1_000 * MS, new MinimumRate(2_000 * MS, 500).halfWindowNs());
    }

    @Test
    void shouldLeaveOnlyWhatIsLeftOfTheHalfWindowToALaterWait() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 1_000);
        final PaceWindow pace = new PaceWindow();
        assertEquals(500 * MS, rate.beginWait(pace, 0, 0), "the first wait gets a whole half window");
        rate.endWait(pace, 300 * MS);
        // Another stage's time (the origin's, say) between the waits does not count.
        assertEquals(200 * MS, rate.beginWait(pace, 5_000 * MS, 999_999), "a later wait gets what is left");
        assertEquals(0, pace.movedAtHalf, "the count is read when the window opens, not at each wait");
    }

    @Test
    void shouldJudgeOnlyOnceAWholeWindowHasPassedAndThenOverTheLastTwoHalves() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 1_000);
        final PaceWindow pace = new PaceWindow();
        rate.beginWait(pace, 0, 100);
        assertTrue(rate.keptPace(pace, 500 * MS, 100), "nothing moved in half a window: not judged yet");
        assertTrue(rate.keptPace(pace, 1_000 * MS, 1_100), "1,000 bytes in one window");
        assertTrue(pace.waiting, "the wait goes on");
        assertTrue(rate.keptPace(pace, 1_500 * MS, 1_100), "the last two halves moved 1,000 bytes");
        assertFalse(rate.keptPace(pace, 2_000 * MS, 2_099), "the last two halves moved 999 bytes");
        assertFalse(pace.waiting, "a failed wait is over");
    }

    @Test
    void shouldNeverCutAClientSilentForLessThanAWindow() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 0);
        final PaceWindow pace = new PaceWindow();
        rate.beginWait(pace, 0, 0);
        assertTrue(rate.keptPace(pace, 500 * MS, 0));
        // Its one byte came in the half before this look, perhaps a moment ago; from here it is silent.
        assertTrue(rate.keptPace(pace, 1_000 * MS, 1));
        assertTrue(rate.keptPace(pace, 1_500 * MS, 1), "silent for at most a window: its byte still counts");
        assertFalse(rate.keptPace(pace, 2_000 * MS, 1), "a whole window without a byte");
    }

    @Test
    void shouldNotLetAClientThatMovedEarlyInOneWindowCoastThroughTheNext() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 0);
        final PaceWindow pace = new PaceWindow();
        rate.beginWait(pace, 0, 0);
        // Its only byte, just after the window opened: it then stops altogether.
        assertTrue(rate.keptPace(pace, 500 * MS, 1));
        assertTrue(rate.keptPace(pace, 1_000 * MS, 1), "a byte in the window");
        assertFalse(rate.keptPace(pace, 1_500 * MS, 1), "cut a window and a half after its last byte, not two");
    }

    @Test
    void shouldCountBytesMovedBetweenWaitsInTheHalfTheyFellIn() {
        final MinimumRate rate = new MinimumRate(1_000 * MS, 1_000);
        final PaceWindow pace = new PaceWindow();
        rate.beginWait(pace, 0, 0);
        rate.endWait(pace, 400 * MS);
        rate.beginWait(pace, 900 * MS, 600);
        assertTrue(rate.keptPace(pace, 1_000 * MS, 600), "half a window of waiting");
        assertTrue(rate.keptPace(pace, 1_500 * MS, 1_000), "600 bytes in the first half, 400 in the second");
        pace.reset();
        assertEquals(500 * MS, rate.beginWait(pace, 9_000 * MS, 5), "a reset opens a whole new window");
        assertEquals(5, pace.movedAtPreviousHalf, "at the count of its first wait");
    }
}
