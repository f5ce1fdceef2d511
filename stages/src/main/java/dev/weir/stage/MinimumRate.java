package dev.weir.stage;

import dev.weir.conn.PaceWindow;

/**
 * The minimum-rate rule for a client Weir waits on ({@code timeout.client-min-rate}): over the last window of
 * waiting (one timeout's length of it, summed over the waits of an exchange) the client must have moved at least
 * the rate times the window, or at least one byte when the rate is 0. Without it a deadline renewed by any
 * progress lets a client that takes or sends a byte now and then hold its slot, and its origin connection, for as
 * long as it likes.
 * <p>
 * The window slides by halves: it is judged every half window, over the two halves before, so a client that
 * stops moving altogether is cut between one and one and a half windows after its last byte, as the timeout
 * promises, never sooner; and a client that moved in the first moments of a window cannot coast through the next.
 * <p>
 * A stage calls {@link #beginWait} when it starts waiting on the client and arms the deadline it returns,
 * {@link #endWait} when the wait ends (the client moved what was asked, the half is handed on), and
 * {@link #keptPace} at the deadline.
 * <p>
 * <b>Note:</b> immutable; the state is the half's {@link PaceWindow}.
 */
final class MinimumRate {

    private static final long MS_PER_S = 1000;
    private static final long NS_PER_MS = 1_000_000;

    private final long halfWindowNs;
    private final long minBytesPerWindow;

    /**
     * @param windowNs    the timeout the window is as long as, nanoseconds (at most an hour).
     * @param bytesPerSec the least rate, bytes per second (at most 1 GiB); 0 asks only for some progress per window.
     */
    MinimumRate(final long windowNs, final long bytesPerSec) {
        this.halfWindowNs = Math.max(1, windowNs / 2);
        this.minBytesPerWindow = Math.max(1, bytesPerSec * (windowNs / NS_PER_MS) / MS_PER_S);
    }

    /** @return half the window, nanoseconds: the wait a client that kept the pace gets until the next look. */
    long halfWindowNs() {
        return halfWindowNs;
    }

    /** @return bytes the client must move per window. */
    long minBytesPerWindow() {
        return minBytesPerWindow;
    }

    /**
     * A wait on the client begins; the first of an exchange opens the window.
     *
     * @param pace  the half's window.
     * @param nowNs the turn time.
     * @param moved the client's count of moved bytes now; read only when a window opens.
     * @return the deadline from now: what is left of the current half window.
     */
    long beginWait(final PaceWindow pace, final long nowNs, final long moved) {
        if (!pace.open) {
            pace.open = true;
            pace.movedAtPreviousHalf = moved;
            pace.movedAtHalf = moved;
            pace.halves = 0;
            pace.waitedNs = 0;
        }
        pace.waiting = true;
        pace.waitingSinceNs = nowNs;
        return Math.max(1, halfWindowNs - pace.waitedNs);
    }

    /** The wait ends before its deadline: its time counts toward the current half window. */
    void endWait(final PaceWindow pace, final long nowNs) {
        if (pace.waiting) {
            pace.waitedNs += nowNs - pace.waitingSinceNs;
            pace.waiting = false;
        }
    }

    /**
     * A half window's time is up. Once a whole window has passed, a client that moved less than the rate asks
     * over the last two halves is too slow; otherwise the wait goes on for {@link #halfWindowNs()}.
     *
     * @param moved the client's count of moved bytes now.
     * @return {@code true} when the client may go on.
     */
    boolean keptPace(final PaceWindow pace, final long nowNs, final long moved) {
        if (pace.halves < 2) {
            pace.halves++;
        }
        if (pace.halves == 2 && moved - pace.movedAtPreviousHalf < minBytesPerWindow) {
            endWait(pace, nowNs);
            return false;
        }
        pace.movedAtPreviousHalf = pace.movedAtHalf;
        pace.movedAtHalf = moved;
        pace.waitedNs = 0;
        pace.waiting = true;
        pace.waitingSinceNs = nowNs;
        return true;
    }
}
