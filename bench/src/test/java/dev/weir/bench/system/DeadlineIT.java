package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.bench.support.UnacceptingListener;
import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/**
 * Every deadline, one test each: a slow, silent or stalled peer on either side is cut off within its timeout,
 * gets the documented answer (408, 504, 503 with Retry-After, a close or a reset), the expiration is counted
 * under its kind, and nothing it held leaks (the extension's check).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeadlineIT {

    /** Every deadline under test. */
    private static final long TIMEOUT_MS = 300;
    /** How late past its deadline an expiry may be seen: timer-wheel ticks, a shared 2-core machine. */
    private static final long SLACK_MS = 1_500;
    /** A deadline must not fire this much earlier than configured. */
    private static final long EARLY_MS = 50;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private final ExecutorService helpers = Executors.newCachedThreadPool();

    @AfterEach
    void stopHelpers() {
        helpers.shutdownNow();
    }

    private Pipeline start(final ScriptedOrigin origin, final UnaryOperator<WeirConfig.Builder> changes) {
        return weir.start(config -> changes.apply(config.upstream("127.0.0.1", origin.port())));
    }

    private static int port(final Pipeline pipeline) {
        return pipeline.listenAddress().getPort();
    }

    private static long msSince(final long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    private static void assertWithinDeadline(final long ms, final String what) {
        assertTrue(ms >= TIMEOUT_MS - EARLY_MS, what + " after " + ms + " ms, before its " + TIMEOUT_MS
            + " ms deadline");
        assertTrue(ms <= TIMEOUT_MS + SLACK_MS, what + " after " + ms + " ms, deadline " + TIMEOUT_MS + " ms");
    }

    /** The client reads a 408, then the end of the connection, within the head deadline from {@code startNs}. */
    private static void assert408ThenClose(final RawHttp http, final long startNs) {
        final RawHttp.End end = http.readToEnd();
        final long ms = msSince(startNs);
        assertTrue(end.text().startsWith("HTTP/1.1 408 "), end.toString());
        assertNotEquals(RawHttp.End.TIMEOUT, end.kind, "closed after the 408: " + end);
        assertWithinDeadline(ms, "408 and close");
    }

    private static void assertCounted(final Pipeline pipeline, final int kind) {
        assertEquals(1, WeirExtension.expirations(pipeline, kind), TimeoutKind.name(kind) + " expirations");
    }

    /** Client head deadline: a head trickled a byte at a time never completes and gets 408 and a close. */
    @Test
    void shouldAnswer408AndCloseWhenTheHeadTricklesInByteByByte() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.clientHeadTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final long start = System.nanoTime();
            helpers.submit(() -> {
                final byte[] head = ("GET / HTTP/1.1\r\nHost: weir\r\nX-Slow: " + "a".repeat(4000))
                    .getBytes(StandardCharsets.ISO_8859_1);
                try {
                    for (final byte b : head) {
                        http.output().write(b);
                        http.output().flush();
                        Thread.sleep(10);
                    }
                } catch (final IOException e) {
                    // Closed by the proxy: the trickle ends.
                }
                return null;
            });
            http.socket().setSoTimeout((int) (TIMEOUT_MS + SLACK_MS + 1_000));
            assert408ThenClose(http, start);
        }
        assertCounted(pipeline, TimeoutKind.CLIENT_HEAD);
    }

    /** Client head deadline: a head that stops half way gets 408 and a close. */
    @Test
    void shouldAnswer408AndCloseWhenTheHeadStopsHalfWay() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.clientHeadTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final long start = System.nanoTime();
            http.send("GET / HTTP/1.1\r\nHost: we");
            assert408ThenClose(http, start);
        }
        assertCounted(pipeline, TimeoutKind.CLIENT_HEAD);
    }

    /** Client head deadline: a connection that never sends a byte is closed (no 408 needed). */
    @Test
    void shouldCloseAConnectionThatSendsNothing() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.clientHeadTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final long start = System.nanoTime();
            final RawHttp.End end = http.readToEnd();
            final long ms = msSince(start);
            assertNotEquals(RawHttp.End.TIMEOUT, end.kind, "closed: " + end);
            assertTrue(end.bytes.length == 0 || end.text().startsWith("HTTP/1.1 408 "), end.toString());
            assertWithinDeadline(ms, "close");
        }
        assertCounted(pipeline, TimeoutKind.CLIENT_HEAD);
    }

    /** Client body deadline, before any response byte: 408, and the origin connection is let go. */
    @Test
    void shouldAnswer408AndFreeTheOriginConnectionWhenTheBodyStops() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.silent()));
        final Pipeline pipeline = start(origin, config -> config.clientBodyTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            http.send("POST /upload HTTP/1.1\r\nHost: weir\r\nContent-Length: 100000\r\n\r\n" + "b".repeat(1000));
            final long start = System.nanoTime();
            final RawHttp.End end = http.readToEnd();
            final long ms = msSince(start);
            assertTrue(end.text().startsWith("HTTP/1.1 408 "), end.toString());
            assertNotEquals(RawHttp.End.TIMEOUT, end.kind, "closed after the 408: " + end);
            assertWithinDeadline(ms, "408");
            ScriptedOrigin.await("the origin connection is closed", () -> origin.openConnections() == 0, 2_000);
            assertEquals(1000, origin.bodyBytes("POST", "/upload"), "the body bytes that came were forwarded");
        }
        assertCounted(pipeline, TimeoutKind.CLIENT_BODY);
    }

    /** Client body deadline, after response bytes went out: the client connection is reset. */
    @Test
    void shouldResetTheClientWhenTheBodyStopsAfterTheResponseStarted() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.clientBodyTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            // The demo origin echoes these 20,000 bytes at once, while it waits for the other 80,000.
            http.send("POST /echo HTTP/1.1\r\nHost: weir\r\nContent-Length: 100000\r\n\r\n" + "e".repeat(20_000));
            final long start = System.nanoTime();
            final RawHttp.End end = http.readToEnd();
            final long ms = msSince(start);
            assertTrue(end.text().startsWith("HTTP/1.1 200 "), "the echo started: " + end);
            assertEquals(RawHttp.End.RESET, end.kind, "a response cut short ends in a reset: " + end);
            assertWithinDeadline(ms, "reset");
        }
        assertCounted(pipeline, TimeoutKind.CLIENT_BODY);
    }

    /** Client send deadline: a client that never reads a big response is cut off, and the origin freed. */
    @Test
    void shouldCloseAClientThatNeverReadsAndFreeItsOriginConnection() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.ok(100_000_000)));
        final Pipeline pipeline = start(origin, config -> config.clientSendTimeoutMs(TIMEOUT_MS));
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", port(pipeline)), 2_000);
            socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: weir\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
            ScriptedOrigin.await("the request reached the origin", () -> origin.requests() == 1, 2_000);
            final long start = System.nanoTime();
            // The client still holds its socket and reads nothing: only the deadline can free the proxy's side.
            ScriptedOrigin.await("the origin connection is closed", () -> origin.openConnections() == 0,
                TIMEOUT_MS + SLACK_MS + 5_000);
            final long ms = msSince(start);
            WeirExtension.awaitIdle(pipeline);
            assertTrue(ms <= TIMEOUT_MS + SLACK_MS + 5_000, "freed after " + ms + " ms");
            socket.setSoTimeout(5_000);
            final RawHttp.End end = readToEnd(socket);
            assertNotEquals(RawHttp.End.TIMEOUT, end.kind, "the client connection was closed: " + end);
            assertTrue(end.bytes.length < 100_000_000, "the response was cut: " + end.bytes.length + " bytes");
        }
        assertCounted(pipeline, TimeoutKind.CLIENT_SEND);
    }

    private static RawHttp.End readToEnd(final Socket socket) throws IOException {
        final java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        final byte[] buffer = new byte[64 * 1024];
        int kind;
        try {
            for (int n = socket.getInputStream().read(buffer); n >= 0; n = socket.getInputStream().read(buffer)) {
                b.write(buffer, 0, Math.min(n, 1024));
            }
            kind = RawHttp.End.EOF;
        } catch (final java.net.SocketTimeoutException e) {
            kind = RawHttp.End.TIMEOUT;
        } catch (final IOException e) {
            kind = RawHttp.End.RESET;
        }
        return RawHttp.End.of(b.toByteArray(), kind);
    }

    /** Keep-alive deadline: an idle connection between requests gets EOF. */
    @Test
    void shouldCloseAnIdleKeepAliveConnection() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.keepAliveTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status);
            final long start = System.nanoTime();
            final RawHttp.End end = http.readToEnd();
            final long ms = msSince(start);
            assertEquals(RawHttp.End.EOF, end.kind, end.toString());
            assertEquals(0, end.bytes.length, end.toString());
            assertWithinDeadline(ms, "EOF");
        }
        assertCounted(pipeline, TimeoutKind.KEEP_ALIVE);
    }

    /** Upstream connect deadline: an origin that never completes the TCP handshake gets 504. */
    @Test
    void shouldAnswer504WhenTheOriginNeverAcceptsTheConnection() throws Exception {
        final UnacceptingListener listener = weir.own(UnacceptingListener.start());
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", listener.port())
            .upstreamConnectTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final long start = System.nanoTime();
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            final long ms = msSince(start);
            assertEquals(504, response.status, response.head);
            assertWithinDeadline(ms, "504");
        }
        assertCounted(pipeline, TimeoutKind.UPSTREAM_CONNECT);
    }

    /** Upstream response deadline: an origin that reads the request and never answers: 504. */
    @Test
    void shouldAnswer504WhenTheOriginNeverAnswers() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.silent()));
        final Pipeline pipeline = start(origin, config -> config.upstreamResponseTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final long start = System.nanoTime();
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            final long ms = msSince(start);
            assertEquals(504, response.status, response.head);
            assertWithinDeadline(ms, "504");
            ScriptedOrigin.await("the origin connection is closed", () -> origin.openConnections() == 0, 2_000);
        }
        assertCounted(pipeline, TimeoutKind.UPSTREAM_RESPONSE);
    }

    /** Upstream response deadline after part of the response: the client is reset, never a clean end. */
    @Test
    void shouldResetTheClientWhenTheOriginStallsHalfWayThroughTheResponse() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(
            ScriptedOrigin.Reply.partialThenStall(100_000, 10_000)));
        final Pipeline pipeline = start(origin, config -> config.upstreamResponseTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final long start = System.nanoTime();
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.End end = http.readToEnd();
            final long ms = msSince(start);
            assertTrue(end.text().startsWith("HTTP/1.1 200 "), end.toString());
            assertEquals(RawHttp.End.RESET, end.kind, "a response cut short ends in a reset: " + end);
            assertWithinDeadline(ms, "reset");
            ScriptedOrigin.await("the origin connection is closed", () -> origin.openConnections() == 0, 2_000);
        }
        assertCounted(pipeline, TimeoutKind.UPSTREAM_RESPONSE);
    }

    /** Queue deadline: with one origin connection busy, the next request waits its deadline, then 503. */
    @Test
    void shouldAnswer503WithRetryAfterWhenNoOriginConnectionComesFree() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.start((request, index, onConnection) ->
            "/hold".equals(request.path) ? ScriptedOrigin.Reply.silent() : ScriptedOrigin.Reply.ok(10)));
        final long holdMs = TIMEOUT_MS + SLACK_MS + 1_000;
        final Pipeline pipeline = start(origin, config -> config.upstreamMaxConnections(1)
            .upstreamQueueTimeoutMs(TIMEOUT_MS).upstreamResponseTimeoutMs(holdMs));
        try (RawHttp holder = new RawHttp(port(pipeline)); RawHttp queued = new RawHttp(port(pipeline))) {
            holder.send("GET /hold HTTP/1.1\r\nHost: weir\r\n\r\n");
            ScriptedOrigin.await("the only origin connection is busy", () -> origin.requests() == 1, 2_000);
            final long start = System.nanoTime();
            queued.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response response = queued.read(false);
            final long ms = msSince(start);
            assertEquals(503, response.status, response.head);
            assertNotNull(response.headers.get("retry-after"), "Retry-After: " + response.head);
            assertWithinDeadline(ms, "503");
            assertEquals(1, origin.requests(), "the queued request never reached the origin");
            // The held request ends with its own deadline; the connection it held serves again afterwards.
            holder.socket().setSoTimeout((int) (holdMs + SLACK_MS));
            assertEquals(504, holder.read(false).status);
        }
        assertCounted(pipeline, TimeoutKind.QUEUE);
        try (RawHttp next = new RawHttp(port(pipeline))) {
            next.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, next.read(false).status, "served once the origin connection is free");
        }
    }

    /**
     * Linger deadline: after a 400, the proxy shuts its side at once (the client reads the whole answer and a
     * clean end of stream), then reads and discards what the client still sends for its linger time, then closes.
     */
    @Test
    void shouldLingerAfterA400ThenClose() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.lingerTimeoutMs(TIMEOUT_MS));
        try (RawHttp http = new RawHttp(port(pipeline))) {
            final AtomicLong writerStoppedNs = new AtomicLong();
            final Future<?> writer = helpers.submit(() -> {
                final OutputStream out = http.output();
                out.write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                final byte[] more = new byte[16 * 1024];
                try {
                    while (true) {
                        out.write(more);
                    }
                } catch (final IOException e) {
                    // The proxy closed after its linger: the client's bytes stop.
                    writerStoppedNs.set(System.nanoTime());
                }
                return null;
            });
            final RawHttp.Response response = http.read(false);
            final long start = System.nanoTime();
            assertEquals(400, response.status, response.head);
            assertEquals("bad request\n", response.text(), "the whole 400");
            http.socket().setSoTimeout((int) (TIMEOUT_MS + SLACK_MS + 1_000));
            final RawHttp.End end = http.readToEnd();
            assertEquals(RawHttp.End.EOF, end.kind, "a clean end of stream after the answer: " + end);
            assertTrue(msSince(start) < TIMEOUT_MS, "the end of stream comes at once, not after the linger");
            writer.get(TIMEOUT_MS + SLACK_MS + 1_000, TimeUnit.MILLISECONDS);
            assertWithinDeadline(TimeUnit.NANOSECONDS.toMillis(writerStoppedNs.get() - start),
                "the client's bytes taken until the close");
        }
        assertCounted(pipeline, TimeoutKind.LINGER);
    }
}
