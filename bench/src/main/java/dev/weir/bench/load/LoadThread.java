package dev.weir.bench.load;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One NIO thread of the load generator: drives its share of the connections until the window ends, the
 * request budget is spent, or the hard deadline passes.
 * <p>
 * <b>Note:</b> counters and histograms are written by this thread only and read after {@link Thread#join}.
 */
final class LoadThread implements Runnable {

    static final int RESULT_PENDING = 0;
    static final int RESULT_DONE = 1;
    static final int RESULT_DONE_CLOSE = 2;
    static final int RESULT_STATUS_ERROR = 3;
    static final int RESULT_BODY_ERROR = 4;
    static final int RESULT_IO_ERROR = 5;

    static final long HIGHEST_TRACKABLE_NS = TimeUnit.MINUTES.toNanos(10);
    private static final long BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_SELECT_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long SPIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(50);

    final LoadOptions options;
    final InetSocketAddress address;
    final Selector selector;
    private final ClientConnection[] connections;
    private final AtomicLong budget;
    private final long intervalNs;
    private final long[] nextIntendedNs;
    private final long measureStartNs;
    private final long endNs;
    private final long hardDeadlineNs;
    private final long requestTimeoutNs;
    private final Consumer<SelectionKey> onKey = this::onKey;

    final Histogram latencyNs = newHistogram();
    final Histogram uncorrectedNs = newHistogram();
    long requests;
    long connectErrors;
    long statusErrors;
    long bodyErrors;
    long ioErrors;
    long timeouts;
    long bodyBytes;
    long lastCompletionNs;
    boolean timedOut;
    private long now;

    LoadThread(final LoadOptions options, final byte[] request, final int connectionCount, final AtomicLong budget,
        final long intervalNs, final long[] firstIntendedNs, final long measureStartNs, final long endNs,
        final long hardDeadlineNs) throws IOException {
        this.options = options;
        this.address = new InetSocketAddress(options.host(), options.port());
        this.selector = Selector.open();
        this.budget = budget;
        this.intervalNs = intervalNs;
        this.nextIntendedNs = firstIntendedNs;
        this.measureStartNs = measureStartNs;
        this.endNs = endNs;
        this.hardDeadlineNs = hardDeadlineNs;
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(options.requestTimeoutMs());
        this.connections = new ClientConnection[connectionCount];
        final boolean head = "HEAD".equals(options.method());
        for (int i = 0; i < connectionCount; i++) {
            connections[i] = new ClientConnection(this, request, head);
            connections[i].wakeNs = firstIntendedNs[i];
            connections[i].index = i;
        }
        this.lastCompletionNs = measureStartNs;
    }

    static Histogram newHistogram() {
        return new Histogram(HIGHEST_TRACKABLE_NS, 3);
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (final ClientConnection c : connections) {
                c.close();
            }
            try {
                selector.close();
            } catch (final IOException e) {
                // Closing at the end of the run; nothing left to do.
            }
        }
    }

    private void loop() throws IOException {
        while (true) {
            now = System.nanoTime();
            if (now - hardDeadlineNs >= 0) {
                timedOut = true;
                return;
            }
            if (budget == null && now - endNs >= 0) {
                return;
            }
            final long nextWakeNs = scan();
            if (budget != null && allIdle()) {
                return;
            }
            long waitNs = Math.min(nextWakeNs - now, MAX_SELECT_NS);
            if (budget == null) {
                waitNs = Math.min(waitNs, endNs - now);
            }
            if (waitNs >= TimeUnit.MILLISECONDS.toNanos(1)) {
                selector.select(onKey, TimeUnit.NANOSECONDS.toMillis(waitNs));
            } else if (selector.selectNow(onKey) == 0 && waitNs > 0) {
                // Sub-millisecond pacing in fixed-rate mode: select's timeout is in whole milliseconds.
                LockSupport.parkNanos(Math.min(waitNs, SPIN_PARK_NS));
            }
        }
    }

    /** Wakes due connections and times out late ones; returns the earliest future wake-up. */
    private long scan() {
        long nextWake = now + MAX_SELECT_NS;
        for (final ClientConnection c : connections) {
            if (c.state == ClientConnection.WAITING) {
                if (c.wakeNs - now <= 0) {
                    wake(c);
                } else if (c.wakeNs - nextWake < 0) {
                    nextWake = c.wakeNs;
                }
            } else if (c.inFlight() && now - c.startNs > requestTimeoutNs) {
                timeouts += counting() ? 1 : 0;
                fail(c, 0);
            }
        }
        return nextWake;
    }

    private boolean allIdle() {
        for (final ClientConnection c : connections) {
            if (c.state != ClientConnection.IDLE) {
                return false;
            }
        }
        return true;
    }

    private void wake(final ClientConnection c) {
        if (c.connected) {
            ready(c);
            return;
        }
        try {
            c.startNs = now;
            c.connect();
            if (c.connected) {
                ready(c);
            }
        } catch (final IOException e) {
            connectErrors += counting() ? 1 : 0;
            fail(c, 0);
        }
    }

    private void ready(final ClientConnection c) {
        if (budget == null && now - endNs >= 0) {
            c.state = ClientConnection.IDLE;
            return;
        }
        final int i = c.index;
        if (intervalNs > 0 && nextIntendedNs[i] - now > 0) {
            c.state = ClientConnection.WAITING;
            c.wakeNs = nextIntendedNs[i];
            c.key.interestOps(0);
            return;
        }
        if (budget != null && budget.getAndDecrement() <= 0) {
            c.state = ClientConnection.IDLE;
            c.key.interestOps(0);
            return;
        }
        final long intended = intervalNs > 0 ? nextIntendedNs[i] : now;
        if (intervalNs > 0) {
            nextIntendedNs[i] += intervalNs;
        }
        try {
            c.send(now, intended);
        } catch (final IOException e) {
            ioErrors += counting() ? 1 : 0;
            fail(c, 0);
        }
    }

    private void onKey(final SelectionKey key) {
        final ClientConnection c = (ClientConnection) key.attachment();
        now = System.nanoTime();
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isConnectable()) {
                if (c.finishConnect()) {
                    key.interestOps(0);
                    ready(c);
                }
            } else if (key.isWritable()) {
                c.onWritable();
            } else if (key.isReadable()) {
                onResult(c, c.onReadable());
            }
        } catch (final IOException e) {
            if (c.state == ClientConnection.CONNECTING) {
                connectErrors += counting() ? 1 : 0;
            } else {
                ioErrors += counting() ? 1 : 0;
            }
            fail(c, 0);
        }
    }

    private void onResult(final ClientConnection c, final int result) {
        switch (result) {
            case RESULT_PENDING:
                break;
            case RESULT_DONE:
            case RESULT_DONE_CLOSE:
                record(c);
                if (result == RESULT_DONE_CLOSE) {
                    c.close();
                    c.state = ClientConnection.WAITING;
                    c.wakeNs = now;
                    wake(c);
                } else {
                    ready(c);
                }
                break;
            case RESULT_STATUS_ERROR:
                statusErrors += counting() ? 1 : 0;
                fail(c, 0);
                break;
            case RESULT_BODY_ERROR:
                bodyErrors += counting() ? 1 : 0;
                fail(c, 0);
                break;
            default:
                ioErrors += counting() ? 1 : 0;
                fail(c, 0);
                break;
        }
    }

    private boolean counting() {
        return now - measureStartNs >= 0 && (budget != null || now - endNs < 0);
    }

    private void record(final ClientConnection c) {
        if (!counting()) {
            return;
        }
        requests++;
        bodyBytes += c.bodyReceived();
        latencyNs.recordValue(Math.min(now - c.intendedNs, HIGHEST_TRACKABLE_NS));
        uncorrectedNs.recordValue(Math.min(now - c.startNs, HIGHEST_TRACKABLE_NS));
        lastCompletionNs = now;
    }

    /** Closes a failed connection and schedules a reconnect after a short back-off. */
    private void fail(final ClientConnection c, final long extraDelayNs) {
        c.close();
        c.state = ClientConnection.WAITING;
        c.wakeNs = now + BACKOFF_NS + extraDelayNs;
    }
}
