package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Admission control in front of one upstream thread, SEDA's queue-delay rule with CoDel's test for a standing
 * queue: while the requests this thread takes from its inbox have all waited longer than the target
 * ({@code admission.queue-delay}) for a whole target's time, the parse stage answers new requests for it 503 from
 * preallocated bytes instead of queueing them behind the delay.
 * <p>
 * The delay is the upstream thread's turn clock minus the parse thread's turn clock at the hand-off, carried in
 * the request half: no clock is read for it. Requests are watched in intervals of one target, each opened by the
 * first request after the last one ended; the shortest delay in an interval decides. A burst queued behind one
 * stall (a collector pause, a descheduled thread) is followed by short delays within the interval and refuses
 * nothing; a queue that stays closes the gate for one target. A request that waited no longer than the target
 * opens it again; with nothing let through it reopens by itself after that target, and measuring starts over.
 * <pre>
 *   interval of one target ends, shortest delay in it  &gt; target  -&gt;  closed until now + target
 *   a request with delay &lt;= target                                -&gt;  open
 * </pre>
 * <p>
 * <b>Note:</b> one writer, the upstream thread ({@link #onRequestTaken}); any parse thread reads
 * ({@link #admits}); metrics read {@link #lastDelayNs()}. Release stores and acquire loads, nothing allocated.
 */
final class AdmissionGate {

    /** The closed-until cell while the gate is open. */
    private static final long OPEN = Long.MIN_VALUE;
    /** {@link #intervalStartNs} when no interval is open. */
    private static final long NO_INTERVAL = Long.MIN_VALUE;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    /** Cells of the array: two cache lines (16 longs, 128 B) keep the two read here off their neighbours'. */
    private static final int PAD = 16;
    private static final int CLOSED_UNTIL = PAD;
    private static final int LAST_DELAY = PAD + 1;

    private final long targetNs;
    private final long[] cells = new long[LAST_DELAY + 1 + PAD];
    /** Upstream thread only: when the current interval began, and the shortest delay seen in it. */
    private long intervalStartNs = NO_INTERVAL;
    private long shortestDelayNs;

    /** @param targetNs the queue delay above which new requests are refused; 0 for none (always open). */
    AdmissionGate(final long targetNs) {
        this.targetNs = targetNs <= 0 ? Long.MAX_VALUE : targetNs;
        cells[CLOSED_UNTIL] = OPEN;
    }

    /**
     * Upstream thread: a request was taken from the inbox.
     *
     * @param delayNs how long it waited: this turn's clock minus the parse stage's at the hand-off (clamped to 0,
     *                since the two turns' clocks may be read in either order).
     * @param nowNs   this turn's clock.
     */
    void onRequestTaken(final long delayNs, final long nowNs) {
        final long delay = Math.max(0, delayNs);
        CELL.setRelease(cells, LAST_DELAY, delay);
        if (delay <= targetNs && cells[CLOSED_UNTIL] != OPEN) {
            CELL.setRelease(cells, CLOSED_UNTIL, OPEN);
        }
        if (intervalStartNs == NO_INTERVAL) {
            intervalStartNs = nowNs;
            shortestDelayNs = delay;
        } else {
            shortestDelayNs = Math.min(shortestDelayNs, delay);
        }
        if (nowNs - intervalStartNs >= targetNs) {
            if (shortestDelayNs > targetNs) {
                CELL.setRelease(cells, CLOSED_UNTIL, nowNs + targetNs);
            }
            intervalStartNs = NO_INTERVAL;
        }
    }

    /**
     * Parse thread: may a new request be queued for this upstream thread?
     *
     * @param nowNs the parse thread's turn clock.
     * @return {@code false} while the gate is closed.
     */
    boolean admits(final long nowNs) {
        final long until = (long) CELL.getAcquire(cells, CLOSED_UNTIL);
        return until == OPEN || nowNs - until >= 0;
    }

    /** @return the queue delay of the last request taken, nanoseconds; any thread. */
    long lastDelayNs() {
        return (long) CELL.getAcquire(cells, LAST_DELAY);
    }
}
