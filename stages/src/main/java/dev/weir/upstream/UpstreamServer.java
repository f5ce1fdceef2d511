package dev.weir.upstream;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;

/**
 * One configured origin server, shared by every upstream thread: its health and its counters, for balancing
 * and for metrics.
 * <p>
 * Counters are striped: each upstream thread writes only its own row ({@link #STRIDE} longs, release
 * stores) and a reader sums the rows with acquire loads, so there is one writer per value and no atomic
 * read-modify-write per request.
 * <pre>
 *   cells:  | thread 0: open idle busy failures ejections retries requests - | thread 1: ... |
 * </pre>
 * Health is written rarely and by any thread: the count of failures in a row (an atomic add, on failures only;
 * a success writes only when the count is not already 0), the time an ejection ends, and the active check's
 * verdict (written by the checking thread alone).
 * <p>
 * <b>Note:</b> every reader method may be called from any thread; none allocates.
 */
public final class UpstreamServer {

    /** Counter: connections with an open socket to this server. */
    static final int OPEN = 0;
    /** Counter: connections parked idle to this server. */
    static final int IDLE = 1;
    /** Counter: connections serving an exchange with this server. */
    static final int BUSY = 2;
    /** Counter: failures (connect error, reset, timeout, bad response). */
    static final int FAILURES = 3;
    /** Counter: times ejected. */
    static final int EJECTIONS = 4;
    /** Counter: requests sent again because of a failure here. */
    static final int RETRIES = 5;
    /** Counter: exchanges attached to this server. */
    static final int REQUESTS = 6;
    /**
     * Longs per thread row: two cache lines. An array is only 8-byte aligned, so rows of one line would share a line
     * with the next thread's in most alignments; with 16, two threads' cells are at least 72 bytes apart.
     */
    static final int STRIDE = 16;

    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle FAILS_IN_ROW;
    private static final VarHandle EJECTED_UNTIL_NS;
    private static final VarHandle CHECK_DOWN;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            FAILS_IN_ROW = lookup.findVarHandle(UpstreamServer.class, "failsInRow", int.class);
            EJECTED_UNTIL_NS = lookup.findVarHandle(UpstreamServer.class, "ejectedUntilNs", long.class);
            CHECK_DOWN = lookup.findVarHandle(UpstreamServer.class, "checkDown", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int index;
    private final String group;
    private final String address;
    private final InetSocketAddress socketAddress;
    private final int weight;
    private final long[] cells;
    @SuppressWarnings("unused")
    private int failsInRow;
    @SuppressWarnings("unused")
    private long ejectedUntilNs;
    @SuppressWarnings("unused")
    private boolean checkDown;

    /**
     * @param index         the server's index over all groups ({@code ExchangeFacts.server}).
     * @param group         its group's name.
     * @param address       {@code host:port} as configured.
     * @param socketAddress where to connect.
     * @param weight        relative share of requests.
     * @param threads       upstream threads, each with its counter row.
     */
    public UpstreamServer(final int index, final String group, final String address,
        final InetSocketAddress socketAddress, final int weight, final int threads) {
        this.index = index;
        this.group = group;
        this.address = address;
        this.socketAddress = socketAddress;
        this.weight = weight;
        // A spare row on each side keeps the rows off the array header's and the next object's cache lines.
        this.cells = new long[(threads + 2) * STRIDE];
    }

    /** @return the server's index over all groups, as in {@code ExchangeFacts.server}. */
    public int index() {
        return index;
    }

    /** @return its group's name. */
    public String group() {
        return group;
    }

    /** @return {@code host:port} as configured. */
    public String address() {
        return address;
    }

    /** @return where connections go. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    /** @return relative share of requests. */
    public int weight() {
        return weight;
    }

    // ---- health

    /**
     * @param nowNs {@link System#nanoTime()} now.
     * @return {@code true} when requests may go here: not ejected (or the ejection has ended) and not marked
     *         down by the active check.
     */
    public boolean isAvailable(final long nowNs) {
        if ((boolean) CHECK_DOWN.getAcquire(this)) {
            return false;
        }
        final long until = (long) EJECTED_UNTIL_NS.getAcquire(this);
        return until == 0 || nowNs - until >= 0;
    }

    /** @return {@code true} when the server takes requests now (see {@link #isAvailable(long)}). */
    public boolean healthy() {
        return isAvailable(System.nanoTime());
    }

    /** @return {@code true} while the active health check says the server is down. */
    public boolean checkDown() {
        return (boolean) CHECK_DOWN.getAcquire(this);
    }

    /**
     * A request to this server failed (connect error, reset, timeout, bad response). After {@code maxFails} in a
     * row the server is ejected for {@code failTimeoutNs}; once readmitted, one more failure ejects it again
     * until a success clears the count (nginx's {@code max_fails}/{@code fail_timeout}).
     *
     * @param thread        the calling upstream thread.
     * @param nowNs         {@link System#nanoTime()} now.
     * @param maxFails      failures in a row that eject; 0 never ejects.
     * @param failTimeoutNs how long an ejection lasts.
     * @return {@code true} when this failure ejected the server.
     */
    public boolean onFailure(final int thread, final long nowNs, final int maxFails, final long failTimeoutNs) {
        add(thread, FAILURES, 1);
        if (maxFails == 0) {
            return false;
        }
        final int fails = (int) FAILS_IN_ROW.getAndAdd(this, 1) + 1;
        if (fails < maxFails) {
            return false;
        }
        // Probation: the next failure after readmission ejects again at once.
        FAILS_IN_ROW.setRelease(this, maxFails - 1);
        // 0 means "not ejected": a deadline that happens to be 0 moves by a nanosecond.
        final long until = nowNs + failTimeoutNs;
        EJECTED_UNTIL_NS.setRelease(this, until == 0 ? 1 : until);
        add(thread, EJECTIONS, 1);
        return true;
    }

    /** A response came from this server: failures in a row start again from 0 (a write only when needed). */
    public void onSuccess() {
        if ((int) FAILS_IN_ROW.getAcquire(this) != 0) {
            FAILS_IN_ROW.setRelease(this, 0);
        }
    }

    /**
     * The active health check's verdict; the checking thread is the one writer.
     *
     * @param up {@code true} when the check passed.
     */
    public void onCheck(final boolean up) {
        if ((boolean) CHECK_DOWN.getAcquire(this) == up) {
            CHECK_DOWN.setRelease(this, !up);
        }
    }

    // ---- counters: one row per upstream thread, written by that thread only

    /**
     * @param thread the calling upstream thread, the row's one writer.
     * @param kind   a counter.
     * @param delta  what to add.
     */
    void add(final int thread, final int kind, final long delta) {
        final int cell = (thread + 1) * STRIDE + kind;
        CELLS.setRelease(cells, cell, cells[cell] + delta);
    }

    /**
     * Count a request sent again because it failed here.
     *
     * @param thread the calling upstream thread.
     */
    public void onRetry(final int thread) {
        add(thread, RETRIES, 1);
    }

    private long sum(final int kind) {
        long total = 0;
        for (int cell = STRIDE + kind; cell < cells.length - STRIDE; cell += STRIDE) {
            total += (long) CELLS.getAcquire(cells, cell);
        }
        return total;
    }

    /** @return connections with an open socket to this server, over every upstream thread. */
    public long openConnections() {
        return sum(OPEN);
    }

    /** @return connections to this server parked idle for reuse. */
    public long idleConnections() {
        return sum(IDLE);
    }

    /** @return connections serving an exchange with this server: its requests in flight. */
    public long busyConnections() {
        return sum(BUSY);
    }

    /** @return failures since start: connect errors, resets, timeouts, bad responses. */
    public long failures() {
        return sum(FAILURES);
    }

    /** @return times this server was ejected since start. */
    public long ejections() {
        return sum(EJECTIONS);
    }

    /** @return requests sent again (here or elsewhere) because they failed here, since start. */
    public long retries() {
        return sum(RETRIES);
    }

    /** @return exchanges sent to this server since start, retries included. */
    public long requests() {
        return sum(REQUESTS);
    }

    @Override
    public String toString() {
        return group + "/" + address;
    }
}
