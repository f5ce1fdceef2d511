package dev.weir.timer;

import java.util.Arrays;

/**
 * A hashed timer wheel whose timers are the slot indices of a fixed table: at most one deadline per index,
 * linked into the bucket of its tick through preallocated {@code int} arrays, so scheduling, cancelling and
 * expiring allocate nothing and never grow.
 * <pre>
 *   tick = deadlineNs / tickNs          bucket = tick &amp; (ticksPerWheel - 1)
 *
 *   bucketHead[b] -&gt; id -&gt; next[id] -&gt; ... -&gt; NONE     (doubly linked: prev[id], O(1) cancel)
 * </pre>
 * A deadline more than one revolution away stays in its bucket and is skipped until its turn comes, so any
 * deadline fits; {@link #poll} walks only the buckets of the ticks elapsed since the last poll (at most one
 * revolution). Deadlines fire at most one tick late, plus however long the owner takes to poll.
 * <p>
 * Why not Agrona's {@code DeadlineTimerWheel}: its per-tick arrays grow on demand (an allocation after startup)
 * and its timer ids would need a second map back to the slot; here the id is the slot.
 * <p>
 * <b>Note:</b> single owner thread; not thread-safe.
 */
public final class TimerWheel {

    /** Called for each expired timer. */
    @FunctionalInterface
    public interface ExpiryHandler {
        /**
         * @param id   the timer's index.
         * @param kind the kind given to {@link #schedule(int, long, int)}.
         */
        void onExpiry(int id, int kind);
    }

    private static final int NONE = -1;

    private final long tickNs;
    private final int mask;
    private final int[] bucketHead;
    private final int[] next;
    private final int[] prev;
    private final int[] bucketOf;
    private final int[] kinds;
    private final long[] deadlines;
    private long polledTick = Long.MIN_VALUE;
    private int scheduled;

    /**
     * @param capacity      timer ids 0 to {@code capacity - 1}.
     * @param tickNs        resolution in nanoseconds.
     * @param ticksPerWheel buckets, a power of two.
     */
    public TimerWheel(final int capacity, final long tickNs, final int ticksPerWheel) {
        if (Integer.bitCount(ticksPerWheel) != 1 || tickNs <= 0 || capacity < 0) {
            throw new IllegalArgumentException("ticksPerWheel must be a power of two and tickNs positive");
        }
        this.tickNs = tickNs;
        this.mask = ticksPerWheel - 1;
        this.bucketHead = new int[ticksPerWheel];
        Arrays.fill(bucketHead, NONE);
        this.next = new int[capacity];
        this.prev = new int[capacity];
        this.bucketOf = new int[capacity];
        Arrays.fill(bucketOf, NONE);
        this.kinds = new int[capacity];
        this.deadlines = new long[capacity];
    }

    /**
     * Set the deadline of {@code id}, replacing any it had.
     *
     * @param id         a timer id.
     * @param deadlineNs when it expires, on the {@link System#nanoTime()} clock.
     * @param kind       a caller's tag handed back on expiry.
     */
    public void schedule(final int id, final long deadlineNs, final int kind) {
        cancel(id);
        long tick = deadlineNs / tickNs;
        if (polledTick != Long.MIN_VALUE && tick <= polledTick) {
            // Already due: the next poll's first bucket holds it.
            tick = polledTick + 1;
        }
        final int bucket = (int) (tick & mask);
        final int head = bucketHead[bucket];
        next[id] = head;
        prev[id] = NONE;
        if (head != NONE) {
            prev[head] = id;
        }
        bucketHead[bucket] = id;
        bucketOf[id] = bucket;
        kinds[id] = kind;
        deadlines[id] = deadlineNs;
        scheduled++;
    }

    /**
     * Remove the deadline of {@code id}, if it has one.
     *
     * @param id a timer id.
     */
    public void cancel(final int id) {
        final int bucket = bucketOf[id];
        if (bucket == NONE) {
            return;
        }
        final int n = next[id];
        final int p = prev[id];
        if (p == NONE) {
            bucketHead[bucket] = n;
        } else {
            next[p] = n;
        }
        if (n != NONE) {
            prev[n] = p;
        }
        bucketOf[id] = NONE;
        scheduled--;
    }

    /**
     * @param id a timer id.
     * @return {@code true} when it has a deadline.
     */
    public boolean isScheduled(final int id) {
        return bucketOf[id] != NONE;
    }

    /**
     * @param id a timer id with a deadline.
     * @return its kind.
     */
    public int kind(final int id) {
        return kinds[id];
    }

    /** @return timers with a deadline. */
    public int scheduled() {
        return scheduled;
    }

    /**
     * Expire every timer whose deadline is at or before {@code nowNs}, calling the handler for each after it
     * has been removed (so the handler may schedule the same id again).
     *
     * @param nowNs   the time now, {@link System#nanoTime()}.
     * @param handler called per expired timer.
     * @return timers expired.
     */
    public int poll(final long nowNs, final ExpiryHandler handler) {
        final long nowTick = nowNs / tickNs;
        if (polledTick == Long.MIN_VALUE) {
            polledTick = nowTick - 1;
        }
        if (scheduled == 0) {
            polledTick = nowTick;
            return 0;
        }
        final long first = Math.max(polledTick + 1, nowTick - mask);
        int expired = 0;
        for (long tick = first; tick <= nowTick; tick++) {
            // A handler that schedules a deadline already due lands in the next tick, still walked below.
            polledTick = tick;
            final int bucket = (int) (tick & mask);
            int id = bucketHead[bucket];
            while (id != NONE) {
                final int following = next[id];
                if (deadlines[id] <= nowNs) {
                    cancel(id);
                    expired++;
                    handler.onExpiry(id, kinds[id]);
                }
                id = following;
            }
        }
        polledTick = nowTick;
        return expired;
    }
}
