package dev.weir.bench.origin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One selector thread of the demo origin: owns its connections, their buffers and its delay timers.
 * <p>
 * <b>Note:</b> every method except {@link #handOff} and {@link #stop} runs on the worker's own thread.
 */
final class OriginWorker implements Runnable {

    private static final int INITIAL_POOL_SIZE = 64;

    private final Selector selector;
    private final ServerSocketChannel server;
    private final ConcurrentLinkedQueue<SocketChannel> handoff = new ConcurrentLinkedQueue<>();
    private final Consumer<SelectionKey> onKey = this::onKey;
    private OriginWorker[] peers;
    private int nextPeer;
    private OriginConnection[] free = new OriginConnection[INITIAL_POOL_SIZE];
    private int freeCount;
    private OriginConnection[] delayed = new OriginConnection[INITIAL_POOL_SIZE];
    private int delayedCount;
    private volatile boolean running = true;

    OriginWorker(final ServerSocketChannel server) throws IOException {
        this.selector = Selector.open();
        this.server = server;
        if (server != null) {
            server.register(selector, SelectionKey.OP_ACCEPT);
        }
    }

    void peers(final OriginWorker[] all) {
        this.peers = all;
    }

    @Override
    public void run() {
        try {
            while (running) {
                final long timeoutMs = nextTimeoutMs();
                if (timeoutMs == 0) {
                    selector.selectNow(onKey);
                } else {
                    selector.select(onKey, timeoutMs < 0 ? 0 : timeoutMs);
                }
                drainHandoff();
                fireTimers();
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            closeAll();
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    void handOff(final SocketChannel channel) {
        handoff.offer(channel);
        selector.wakeup();
    }

    private void onKey(final SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.channel() == server) {
            accept();
            return;
        }
        final OriginConnection connection = (OriginConnection) key.attachment();
        try {
            connection.drive();
        } catch (final RuntimeException e) {
            // A bug in one connection must not take the worker down: drop that connection only.
            connection.close();
        }
    }

    private void accept() {
        try {
            for (SocketChannel channel = server.accept(); channel != null; channel = server.accept()) {
                final OriginWorker target = peers[nextPeer];
                nextPeer = (nextPeer + 1) % peers.length;
                if (target == this) {
                    register(channel);
                } else {
                    target.handOff(channel);
                }
            }
        } catch (final IOException e) {
            // Accept failures (e.g. too many open files) are transient; the next readiness retries.
        }
    }

    private void drainHandoff() {
        for (SocketChannel channel = handoff.poll(); channel != null; channel = handoff.poll()) {
            register(channel);
        }
    }

    private void register(final SocketChannel channel) {
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
            final OriginConnection connection = acquire();
            final SelectionKey key = channel.register(selector, SelectionKey.OP_READ, connection);
            connection.open(channel, key);
        } catch (final IOException e) {
            closeQuietly(channel);
        }
    }

    private OriginConnection acquire() {
        if (freeCount == 0) {
            // Allocates: buffers for one more connection, once per concurrent connection, then pooled.
            return new OriginConnection(this);
        }
        final OriginConnection c = free[--freeCount];
        free[freeCount] = null;
        return c;
    }

    void release(final OriginConnection connection) {
        if (freeCount == free.length) {
            free = java.util.Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = connection;
    }

    void schedule(final OriginConnection connection) {
        if (delayedCount == delayed.length) {
            delayed = java.util.Arrays.copyOf(delayed, delayed.length * 2);
        }
        delayed[delayedCount++] = connection;
    }

    void cancel(final OriginConnection connection) {
        for (int i = 0; i < delayedCount; i++) {
            if (delayed[i] == connection) {
                delayed[i] = delayed[--delayedCount];
                delayed[delayedCount] = null;
                return;
            }
        }
    }

    private long nextTimeoutMs() {
        if (delayedCount == 0) {
            return -1;
        }
        long earliest = Long.MAX_VALUE;
        for (int i = 0; i < delayedCount; i++) {
            earliest = Math.min(earliest, delayed[i].deadlineNs());
        }
        final long waitNs = earliest - System.nanoTime();
        return waitNs <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNs + 999_999));
    }

    private void fireTimers() {
        if (delayedCount == 0) {
            return;
        }
        final long now = System.nanoTime();
        for (int i = delayedCount - 1; i >= 0; i--) {
            final OriginConnection c = delayed[i];
            if (c.deadlineNs() - now <= 0) {
                delayed[i] = delayed[--delayedCount];
                delayed[delayedCount] = null;
                c.onTimer();
            }
        }
    }

    private void closeAll() {
        for (final SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof OriginConnection) {
                ((OriginConnection) key.attachment()).close();
            }
        }
        for (SocketChannel channel = handoff.poll(); channel != null; channel = handoff.poll()) {
            closeQuietly(channel);
        }
        try {
            selector.close();
        } catch (final IOException e) {
            // Closing at shutdown; nothing left to do.
        }
    }

    private static void closeQuietly(final SocketChannel channel) {
        try {
            channel.close();
        } catch (final IOException e) {
            // Already failing; the channel is gone either way.
        }
    }
}
