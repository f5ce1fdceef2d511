package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

import dev.weir.ring.WakeSignal;

/**
 * Admission control in front of one stage thread, SEDA's queue-delay rule with CoDel's test for a standing
 * queue: while the hand-offs this thread takes from its inbox have all waited longer than the target
 * ({@code admission.queue-delay}) for a whole target's time, or while the thread has not begun a turn for a
 * target although it is not asleep, the stage before it refuses new work for it with a preallocated 503 instead
 * of queueing it behind the delay. Which work is refused, and by whom, depends on the stage (see
 * docs/ARCHITECTURE.md, "Overload"): new connections at accept for a parse thread, new requests at parse for an
 * upstream or a write thread.
 * <p>
 * The delay is this thread's turn clock minus the producer's turn clock at the hand-off, carried in the slot: no
 * clock is read for it. Hand-offs are watched in intervals of one target, each opened by the first one after the
 * last interval ended; the shortest delay in an interval decides. A burst queued behind one stall (a collector
 * pause, a descheduled thread) is followed by short delays within the interval and refuses nothing; a queue that
 * stays closes the gate for one target. A hand-off that waited no longer than the target opens it again; with
 * nothing let through it reopens by itself after that target, and measuring starts over.
 * <p>
 * Delays are measured only when the thread takes something, so a thread stuck in one turn (a blocking call, a
 * thread descheduled for long) would never close its gate. Its heartbeat covers that: the thread publishes its
 * turn clock when the last one published is a quarter target old. A thread that is not asleep in its selector
 * (its {@link WakeSignal}; a producer's hand-off wakes one that is) and whose heartbeat is older than the target
 * plus its longest sleep (a thread just woken has not turned yet) is stalled: the gate is closed until it turns.
 * <pre>
 *   interval of one target ends, shortest delay in it  &gt; target  -&gt;  closed until now + target
 *   a hand-off with delay &lt;= target                              -&gt;  open
 *   awake, heartbeat older than target + longest sleep          -&gt;  closed until the thread turns
 * </pre>
 * <p>
 * <b>Note:</b> one writer, the gated stage thread ({@link #onTaken}, {@link #onTurn}); any producer thread reads
 * ({@link #admits}); metrics read {@link #lastDelayNs()}. The two cells producers read are written at most once
 * per quarter target (and on the rare close or open), so a producer's read almost always hits its own cache; the
 * wake flag is read only when the heartbeat is old; the last delay, written per hand-off, sits on its own line with
 * the gated thread's own interval and beat state.
 * Release stores and acquire loads, nothing allocated.
 */
final class AdmissionGate {

    /** The closed-until cell while the gate is open. */
    private static final long OPEN = Long.MIN_VALUE;
    /** The heartbeat cell before the thread's first turn. */
    private static final long NOT_STARTED = Long.MIN_VALUE;
    /** The interval-start cell when no interval is open. */
    private static final long NO_INTERVAL = Long.MIN_VALUE;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    /** Cells of the array: two cache lines (16 longs, 128 B) keep each group off its neighbours'. */
    private static final int PAD = 16;
    /** Read by producers per decision. */
    private static final int CLOSED_UNTIL = PAD;
    private static final int BEAT = PAD + 1;
    /** Written per hand-off taken, read by metrics only. */
    private static final int LAST_DELAY = BEAT + 1 + PAD;
    /**
     * The gated thread's own state, beside the last delay it writes per hand-off anyway: as fields of this object
     * they would share a line with what producers read per decision ({@link #lateNs}, the array reference).
     * When the current interval began, the shortest delay seen in it, the last beat stored.
     */
    private static final int INTERVAL_START = LAST_DELAY + 1;
    private static final int SHORTEST_DELAY = LAST_DELAY + 2;
    private static final int BEAT_STORED = LAST_DELAY + 3;

    private final long targetNs;
    /** No target: nothing is ever refused, so the heartbeat is not kept either. */
    private final boolean off;
    private final long beatEveryNs;
    private final long[] cells = new long[BEAT_STORED + 1 + PAD];
    private final WakeSignal wake;
    /** Longest a healthy thread goes without turning: the target plus its longest idle sleep. */
    private volatile long lateNs;

    /**
     * @param targetNs the queue delay above which new work is refused; 0 for none (always open).
     * @param wake     the gated thread's wake signal: while it sleeps in its selector it is not late.
     */
    AdmissionGate(final long targetNs, final WakeSignal wake) {
        this.off = targetNs <= 0;
        this.targetNs = off ? Long.MAX_VALUE : targetNs;
        this.beatEveryNs = this.targetNs / 4;
        this.wake = wake;
        longestSleepMs(SelectorStage.DEFAULT_IDLE_SELECT_TIMEOUT_MS);
        cells[CLOSED_UNTIL] = OPEN;
        cells[BEAT] = NOT_STARTED;
        cells[INTERVAL_START] = NO_INTERVAL;
        cells[BEAT_STORED] = NOT_STARTED;
    }

    /** @param sleepMs the gated thread's longest idle sleep in its selector; tests change it. */
    void longestSleepMs(final long sleepMs) {
        lateNs = off ? Long.MAX_VALUE : targetNs + TimeUnit.MILLISECONDS.toNanos(sleepMs);
    }

    /**
     * Gated thread: something was taken from the inbox.
     *
     * @param delayNs how long it waited: this turn's clock minus the producer's at the hand-off (clamped to 0,
     *                since the two turns' clocks may be read in either order).
     * @param nowNs   this turn's clock.
     */
    void onTaken(final long delayNs, final long nowNs) {
        final long delay = Math.max(0, delayNs);
        CELL.setRelease(cells, LAST_DELAY, delay);
        if (delay <= targetNs && cells[CLOSED_UNTIL] != OPEN) {
            CELL.setRelease(cells, CLOSED_UNTIL, OPEN);
        }
        final long[] own = cells;
        if (own[INTERVAL_START] == NO_INTERVAL) {
            own[INTERVAL_START] = nowNs;
            own[SHORTEST_DELAY] = delay;
        } else {
            own[SHORTEST_DELAY] = Math.min(own[SHORTEST_DELAY], delay);
        }
        if (nowNs - own[INTERVAL_START] >= targetNs) {
            if (own[SHORTEST_DELAY] > targetNs) {
                CELL.setRelease(cells, CLOSED_UNTIL, nowNs + targetNs);
            }
            own[INTERVAL_START] = NO_INTERVAL;
        }
    }

    /**
     * Gated thread: a turn began (or ready keys are handled after a sleep); publishes the heartbeat when the last
     * one published is a quarter target old.
     *
     * @param nowNs the turn's clock.
     */
    void onTurn(final long nowNs) {
        final long stored = cells[BEAT_STORED];
        if (!off && (stored == NOT_STARTED || nowNs - stored >= beatEveryNs)) {
            cells[BEAT_STORED] = nowNs;
            CELL.setRelease(cells, BEAT, nowNs);
        }
    }

    /**
     * Producer thread: may new work be queued for the gated thread?
     *
     * @param nowNs the producer's turn clock.
     * @return {@code false} while the gate is closed.
     */
    boolean admits(final long nowNs) {
        final long until = (long) CELL.getAcquire(cells, CLOSED_UNTIL);
        if (until != OPEN && nowNs - until < 0) {
            return false;
        }
        final long beat = (long) CELL.getAcquire(cells, BEAT);
        return beat == NOT_STARTED || nowNs - beat <= lateNs || wake.isSleeping();
    }

    /** @return the queue delay of the last hand-off taken, nanoseconds; any thread. */
    long lastDelayNs() {
        return (long) CELL.getAcquire(cells, LAST_DELAY);
    }
}
