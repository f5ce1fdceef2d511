package dev.weir.upstream;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.weir.config.UpstreamGroupConfig;
import dev.weir.config.WeirConfig;

/**
 * The active health check, run on one upstream thread's loop: every {@code health.interval} each server of a
 * group with {@code health.path} gets {@code GET path HTTP/1.1} with its own {@code Host} on a socket of its
 * own; a {@code 2xx} or {@code 3xx} status line within {@code health.timeout} passes, anything else (refused,
 * reset, timeout, another status) fails. {@code health.fall} failures in a row mark the server down,
 * {@code health.rise} passes in a row mark it up again ({@link UpstreamServer#onCheck(boolean)}).
 * <pre>
 *   IDLE --due--&gt; CONNECTING --connected--&gt; SENDING --sent--&gt; READING --status line or end--&gt; IDLE
 *     ^                 |  failure or timeout: down       |                  |
 *     +-----------------+---------------------------------+------------------+
 * </pre>
 * The request bytes and the status-line buffer of each server are allocated once, at startup.
 * <p>
 * <b>Note:</b> owned by one upstream stage thread; {@link #poll(long)} and {@link #onReady(Probe, long)} run on
 * it. Allocates a {@code SocketChannel} (and its key) per check: NIO cannot reopen a closed channel.
 */
public final class HealthChecker {

    /** Bytes of a status line read: {@code HTTP/1.1 200}. */
    private static final int STATUS_LINE_BYTES = 12;

    private final Probe[] probes;
    private final Selector selector;
    private final int receiveBufferBytes;
    private final int sendBufferBytes;
    private long nextEventNs;

    /**
     * @param config             the configuration: its groups with {@code health.path} are checked.
     * @param upstreams          the servers.
     * @param selector           the owning stage's selector.
     * @param receiveBufferBytes {@code SO_RCVBUF} of each check socket.
     * @param sendBufferBytes    {@code SO_SNDBUF} of each check socket.
     * @param nowNs              {@link System#nanoTime()} now: the first check is due at once, the others spread
     *                           over one interval.
     */
    public HealthChecker(final WeirConfig config, final Upstreams upstreams, final Selector selector,
        final int receiveBufferBytes, final int sendBufferBytes, final long nowNs) {
        final List<Probe> list = new ArrayList<>();
        int index = 0;
        for (final UpstreamGroupConfig group : config.upstreamGroups()) {
            for (final UpstreamGroupConfig.Server server : group.servers()) {
                if (group.healthPath() != null) {
                    list.add(new Probe(upstreams.servers()[index], group, server, nowNs));
                }
                index++;
            }
        }
        this.probes = list.toArray(new Probe[0]);
        // Spread the first checks over one interval, as HAProxy does, so checks do not start in lockstep: each
        // next one is due an interval after the previous ended, so the spread lasts.
        for (int i = 0; i < probes.length; i++) {
            probes[i].eventNs = nowNs + probes[i].intervalNs * i / probes.length;
        }
        this.selector = selector;
        this.receiveBufferBytes = receiveBufferBytes;
        this.sendBufferBytes = sendBufferBytes;
        this.nextEventNs = nowNs;
    }

    /** @return servers checked. */
    public int size() {
        return probes.length;
    }

    /**
     * @param index a probe's position, in the order of the groups and their servers.
     * @return when its next check is due, {@link System#nanoTime()} time.
     */
    long dueNs(final int index) {
        return probes[index].eventNs;
    }

    /**
     * Start the checks that are due and fail those past their timeout.
     *
     * @param nowNs {@link System#nanoTime()} now.
     * @return checks started or ended.
     */
    public int poll(final long nowNs) {
        if (probes.length == 0 || nowNs - nextEventNs < 0) {
            return 0;
        }
        int work = 0;
        long next = Long.MAX_VALUE;
        for (final Probe probe : probes) {
            if (nowNs - probe.eventNs >= 0) {
                if (probe.state == Probe.IDLE) {
                    start(probe, nowNs);
                } else {
                    finish(probe, false, nowNs);
                }
                work++;
            }
            next = Math.min(next, probe.eventNs - nowNs);
        }
        nextEventNs = nowNs + next;
        return work;
    }

    private void start(final Probe probe, final long nowNs) {
        probe.request.clear();
        probe.response.clear();
        probe.eventNs = nowNs + probe.timeoutNs;
        try {
            // Allocates: a SocketChannel and its key per check, every interval per checked server.
            final SocketChannel channel = SocketChannel.open();
            probe.channel = channel;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
            probe.key = channel.register(selector, 0, probe);
            if (channel.connect(probe.server.socketAddress())) {
                probe.state = Probe.SENDING;
                send(probe, nowNs);
            } else {
                probe.state = Probe.CONNECTING;
                probe.key.interestOps(SelectionKey.OP_CONNECT);
            }
        } catch (final IOException ex) {
            finish(probe, false, nowNs);
        }
    }

    /**
     * The probe's socket is ready.
     *
     * @param probe the key's attachment.
     * @param nowNs {@link System#nanoTime()} now.
     */
    public void onReady(final Probe probe, final long nowNs) {
        try {
            switch (probe.state) {
                case Probe.CONNECTING:
                    if (probe.channel.finishConnect()) {
                        probe.state = Probe.SENDING;
                        send(probe, nowNs);
                    }
                    break;
                case Probe.SENDING:
                    send(probe, nowNs);
                    break;
                case Probe.READING:
                    read(probe, nowNs);
                    break;
                default:
                    break;
            }
        } catch (final IOException ex) {
            finish(probe, false, nowNs);
        }
    }

    private void send(final Probe probe, final long nowNs) throws IOException {
        probe.channel.write(probe.request);
        if (probe.request.hasRemaining()) {
            probe.key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        probe.state = Probe.READING;
        probe.key.interestOps(SelectionKey.OP_READ);
    }

    private void read(final Probe probe, final long nowNs) throws IOException {
        final int n = probe.channel.read(probe.response);
        if (n < 0 || !probe.response.hasRemaining()) {
            finish(probe, passes(probe.response), nowNs);
        }
    }

    /** @return {@code true} for a status line {@code HTTP/1.x 2xx} or {@code 3xx}. */
    static boolean passes(final ByteBuffer statusLine) {
        if (statusLine.position() < STATUS_LINE_BYTES) {
            return false;
        }
        for (int i = 0; i < 7; i++) {
            if (statusLine.get(i) != "HTTP/1.".charAt(i)) {
                return false;
            }
        }
        final byte first = statusLine.get(9);
        return statusLine.get(8) == ' ' && (first == '2' || first == '3') && isDigit(statusLine.get(10))
            && isDigit(statusLine.get(11));
    }

    private static boolean isDigit(final byte b) {
        return b >= '0' && b <= '9';
    }

    private void finish(final Probe probe, final boolean up, final long nowNs) {
        probe.close();
        probe.server.onCheck(probe.record(up, probe.server.checkDown()));
        probe.state = Probe.IDLE;
        probe.eventNs = nowNs + probe.intervalNs;
        probe.checks = probe.checks + 1;
        nextEventNs = Math.min(nextEventNs, probe.eventNs);
    }

    /** Close every check socket; the owning stage is stopping. */
    public void close() {
        for (final Probe probe : probes) {
            probe.close();
        }
    }

    /** @return checks completed since start, over every server (owner thread; for tests). */
    public long checks() {
        long total = 0;
        for (final Probe probe : probes) {
            total += probe.checks;
        }
        return total;
    }

    /**
     * One server's check: its preallocated request and status-line buffer, its socket while a check runs.
     * <p>
     * <b>Note:</b> owned by the checker's thread.
     */
    public static final class Probe {
        static final int IDLE = 0;
        static final int CONNECTING = 1;
        static final int SENDING = 2;
        static final int READING = 3;

        final UpstreamServer server;
        final ByteBuffer request;
        final ByteBuffer response = ByteBuffer.allocateDirect(STATUS_LINE_BYTES);
        final long intervalNs;
        final long timeoutNs;
        final int fall;
        final int rise;
        private int passesInRow;
        private int failuresInRow;
        int state = IDLE;
        /** When the next check is due (idle), or when the running one times out. */
        long eventNs;
        /** Checks completed: written by the owner only, read by tests from other threads. */
        volatile long checks;
        SocketChannel channel;
        SelectionKey key;

        Probe(final UpstreamServer server, final UpstreamGroupConfig group, final UpstreamGroupConfig.Server config,
            final long nowNs) {
            this.server = server;
            final byte[] bytes = ("GET " + group.healthPath() + " HTTP/1.1\r\nHost: " + config.address()
                + "\r\nUser-Agent: weir-health-check\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            this.request = ByteBuffer.allocateDirect(bytes.length);
            request.put(bytes).flip();
            this.intervalNs = group.healthIntervalMs() * 1_000_000L;
            this.timeoutNs = group.healthTimeoutMs() * 1_000_000L;
            this.fall = group.healthFall();
            this.rise = group.healthRise();
            this.eventNs = nowNs;
        }

        /**
         * Count one check's result.
         *
         * @param passed {@code true} when the check passed.
         * @param down   {@code true} when the server is marked down now.
         * @return {@code true} when the server is to be up: it was up and has not failed {@code fall} checks in a
         *         row, or it was down and has passed {@code rise} in a row.
         */
        boolean record(final boolean passed, final boolean down) {
            if (passed) {
                passesInRow++;
                failuresInRow = 0;
                return !down || passesInRow >= rise;
            }
            failuresInRow++;
            passesInRow = 0;
            return !down && failuresInRow < fall;
        }

        /** @return the server checked. */
        public UpstreamServer server() {
            return server;
        }

        /** @return the socket of the check running now, or {@code null}. */
        public SocketChannel channel() {
            return channel;
        }

        void close() {
            final SocketChannel closing = channel;
            channel = null;
            key = null;
            if (closing != null) {
                try {
                    closing.close();
                } catch (final IOException ignored) {
                    // Best effort: the descriptor is gone either way.
                }
            }
        }
    }
}
