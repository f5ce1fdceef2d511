package dev.weir.stage;

import dev.weir.conn.PaceWindow;

/**
 * The minimum-rate rule for a client Weir waits on ({@code timeout.client-min-rate}): over each window of waiting
 * (one timeout's length of it, summed over the waits of an exchange) the client must move at least the rate times
 * the window, or at least one byte when the rate is 0. Without it a deadline renewed by any progress lets a client
 * that takes or sends a byte now and then hold its slot, and its origin connection, for as long as it likes.
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

    private final long windowNs;
    private final long minBytesPerWindow;

    /**
     * @param windowNs    the timeout the window is as long as, nanoseconds (at most an hour).
     * @param bytesPerSec the least rate, bytes per second (at most 1 GiB); 0 asks only for some progress per window.
     */
    MinimumRate(final long windowNs, final long bytesPerSec) {
        this.windowNs = windowNs;
        this.minBytesPerWindow = Math.max(1, bytesPerSec * (windowNs / NS_PER_MS) / MS_PER_S);
    }

    /** @return the window's length, nanoseconds: the wait a new window allows. */
    long windowNs() {
        return windowNs;
    }

    /** @return bytes the client must move per window. */
    long minBytesPerWindow() {
        return minBytesPerWindow;
    }

    /**
     * A wait on the client begins; the first of an exchange opens the window.
     *
     * @param pace   the half's window.
     * @param nowNs  the turn time.
     * @param moved  the client's count of moved bytes now; read only when a window opens.
     * @return the deadline from now: what is left of the window.
     */
    long beginWait(final PaceWindow pace, final long nowNs, final long moved) {
        if (!pace.open) {
            pace.open = true;
            pace.movedAtOpen = moved;
            pace.waitedNs = 0;
        }
        pace.waiting = true;
        pace.waitingSinceNs = nowNs;
        return Math.max(1, windowNs - pace.waitedNs);
    }

    /** The wait ends before its deadline: its time counts toward the window. */
    void endWait(final PaceWindow pace, final long nowNs) {
        if (pace.waiting) {
            pace.waitedNs += nowNs - pace.waitingSinceNs;
            pace.waiting = false;
        }
    }

    /**
     * The window's time is up. A client that kept the pace gets a new window, and the wait goes on for
     * {@link #windowNs()}; one that did not is too slow.
     *
     * @param moved the client's count of moved bytes now.
     * @return {@code true} when the client moved enough in the window.
     */
    boolean keptPace(final PaceWindow pace, final long nowNs, final long moved) {
        if (moved - pace.movedAtOpen < minBytesPerWindow) {
            endWait(pace, nowNs);
            return false;
        }
        pace.movedAtOpen = moved;
        pace.waitedNs = 0;
        pace.waiting = true;
        pace.waitingSinceNs = nowNs;
        return true;
    }
}
