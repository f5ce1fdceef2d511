package dev.weir.stage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ExchangeFacts;
import dev.weir.conn.ExchangeObserver;

/**
 * The metrics observer of one stage thread: exchanges by status class and a latency histogram with fixed
 * buckets, counted when each exchange ends.
 * <p>
 * Layout of the one {@code long[]}, after a cache line of padding (and followed by another):
 * <pre>
 *   0 .. 5                       exchanges by status class: 0 none (no status sent), 1 1xx ... 5 5xx
 *   6 .. 6+B                     latency buckets, not cumulative: bucket i counts latencies at most
 *                                {@link #BUCKET_BOUNDS_NS}[i] and above the previous bound; the last, +Inf
 *   7+B                          exchanges with a latency (those whose first request byte was read)
 *   8+B                          their latencies summed, nanoseconds
 * </pre>
 * where B is {@link #BUCKETS}. Latency is the observer's {@link System#nanoTime()} minus
 * {@code facts.startNanos}: from the request's first byte to the end of the exchange (not for a WebSocket
 * tunnel). The status is {@code facts.statusSent()}: none when no byte of an answer reached the client.
 * <p>
 * <b>Note:</b> single writer, the stage thread it was made for, which stores each new value with a release;
 * any thread reads with an acquire (the admin thread, at scrape time). Nothing here allocates, locks or waits.
 * The figures of one read are not one atomic snapshot: a count may lead its bucket by an exchange.
 */
public final class ExchangeMetrics implements ExchangeObserver {

    /** Status classes: none, 1xx, 2xx, 3xx, 4xx, 5xx. */
    public static final int STATUS_CLASSES = 6;
    /** Upper bounds of the latency buckets, nanoseconds: 0.5 ms to 10 s; +Inf follows. */
    private static final long[] BUCKET_BOUNDS_NS = {
        500_000L, 1_000_000L, 2_500_000L, 5_000_000L, 10_000_000L, 25_000_000L, 50_000_000L, 100_000_000L,
        250_000_000L, 500_000_000L, 1_000_000_000L, 2_500_000_000L, 5_000_000_000L, 10_000_000_000L,
    };
    /** Finite latency buckets. */
    public static final int BUCKETS = BUCKET_BOUNDS_NS.length;

    private static final int BUCKET_BASE = STATUS_CLASSES;
    private static final int COUNT = BUCKET_BASE + BUCKETS + 1;
    private static final int SUM_NS = COUNT + 1;
    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(long[].class);

    /** No latency to count: no request byte was read, or the exchange became a tunnel. */
    static final long NO_LATENCY = -1;
    /**
     * A cache line of longs either side of the counters: the stage threads' instances are allocated one after
     * another, and each is written on every exchange.
     */
    private static final int PAD = 8;

    private final long[] values = new long[PAD + SUM_NS + 1 + PAD];

    /**
     * @param bucket 0 to {@link #BUCKETS} - 1.
     * @return that bucket's upper bound, seconds.
     */
    public static double bucketBoundSeconds(final int bucket) {
        return BUCKET_BOUNDS_NS[bucket] / 1e9;
    }

    /**
     * @param status an HTTP status, or 0 when none was sent.
     * @return its class: 1 to 5, or 0 for none or anything outside 100 to 599.
     */
    public static int statusClass(final int status) {
        return status >= 100 && status < 600 ? status / 100 : 0;
    }

    @Override
    public void onExchangeEnd(final ConnectionSlot slot) {
        final ExchangeFacts facts = slot.facts;
        final int status = facts.statusSent();
        // A tunnel's latency would be its whole life, minutes or hours: only request-response exchanges are timed.
        record(status, facts.startNanos == 0 || status == 101 ? NO_LATENCY
            : Math.max(0, System.nanoTime() - facts.startNanos));
    }

    /**
     * Count one exchange.
     *
     * @param status    the status the client was sent, 0 for none.
     * @param latencyNs from the request's first byte to the end, or {@link #NO_LATENCY}.
     */
    void record(final int status, final long latencyNs) {
        increment(statusClass(status));
        if (latencyNs == NO_LATENCY) {
            return;
        }
        int bucket = 0;
        while (bucket < BUCKETS && latencyNs > BUCKET_BOUNDS_NS[bucket]) {
            bucket++;
        }
        increment(BUCKET_BASE + bucket);
        increment(COUNT);
        ELEMENT.setRelease(values, PAD + SUM_NS, values[PAD + SUM_NS] + latencyNs);
    }

    private void increment(final int index) {
        ELEMENT.setRelease(values, PAD + index, values[PAD + index] + 1);
    }

    private long get(final int index) {
        return (long) ELEMENT.getAcquire(values, PAD + index);
    }

    /**
     * @param statusClass 0 (none) to 5 (5xx).
     * @return exchanges of that class ended on this thread.
     */
    public long exchanges(final int statusClass) {
        return get(statusClass);
    }

    /**
     * @param bucket 0 to {@link #BUCKETS}, the last being +Inf.
     * @return latencies in that bucket alone (not cumulative).
     */
    public long bucket(final int bucket) {
        return get(BUCKET_BASE + bucket);
    }

    /** @return exchanges with a latency. */
    public long latencyCount() {
        return get(COUNT);
    }

    /** @return their latencies summed, nanoseconds. */
    public long latencySumNanos() {
        return get(SUM_NS);
    }
}
