package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static dev.weir.stage.PipelineTest.readResponse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionState;
import dev.weir.http.CannedResponses;
import dev.weir.support.LoopbackOrigin;

/**
 * The gates in front of the parse and write stages, over real sockets: a stalled stage thread closes its gate,
 * new work is answered 503 with {@code Retry-After} before it reaches the stage, or goes to a healthy thread of
 * the same stage, the gate opens again once the thread turns, and responses under way complete whole.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StalledStageAdmissionTest {

    private static final long TARGET_MS = 200;
    private static final int LARGE = 4_000_000;
    private static final String GET_HELLO = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    private static final String HELLO_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    @BeforeEach
    void start() throws IOException {
        origin = LoopbackOrigin.start();
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    private WeirConfig.Builder config() {
        return WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port()).connections(32)
            .parseBufferBytes(4096).upstreamBufferBytes(16384).parseThreads(1).upstreamThreads(1).writeThreads(1)
            .admissionQueueDelayMs(TARGET_MS)
            // A parse thread stalled alone, with upstream on its own thread (FusedStageTest stalls a fused one).
            .fuseParseUpstream(false);
    }

    @Test
    void shouldAnswerNewConnections503AtAcceptWhileTheParseStageIsStalledAndSeatThemAgainAfter() throws Exception {
        pipeline = Pipeline.start(config().build());
        final AdmissionGate gate = pipeline.admissionGates(ConnectionState.OWNER_PARSE)[0];
        try (Socket kept = connect()) {
            send(kept, "GET /size/" + LARGE + " HTTP/1.1\r\nHost: a\r\n\r\n");
            final int headLength = readHead(kept).length();
            final Socket waiting;
            final Stall stall = new Stall(pipeline.stage("weir-parse-0").selector);
            try {
                // Handed to the stalled parse thread (or refused, if its gate is closed already): either way whole.
                waiting = connect();
                send(waiting, GET_HELLO);
                awaitCondition(() -> !gate.admits(System.nanoTime()), "the stalled parse thread's gate closes");
                final long before = pipeline.overloadedRequests(ConnectionState.OWNER_PARSE);
                try (Socket refused = connect()) {
                    // Accept answers before reading anything: the request is not needed to refuse.
                    final byte[] answer = refused.getInputStream().readAllBytes();
                    final String text = new String(answer, StandardCharsets.US_ASCII);
                    assertArrayEquals(CannedResponses.bytes(503), answer, text);
                    assertTrue(text.contains("\r\nRetry-After: "), text);
                }
                assertEquals(before + 1, pipeline.overloadedRequests(ConnectionState.OWNER_PARSE));
                // The response under way needs no parse work: it completes whole while the stage is stalled.
                assertPattern(kept, LARGE);
                assertTrue(headLength > 0);
            } finally {
                stall.release();
            }
            awaitCondition(() -> gate.admits(System.nanoTime()), "the gate opens once the parse thread turns");
            try (Socket served = waiting) {
                final String answer = readResponse(served);
                assertTrue(answer.equals(HELLO_RESPONSE) || answer.equals(refusal()), answer);
                // The last new connection the parse thread took (taken at once if the stall caught the thread
                // after its inbox check, else after the stall): measured from the accept stage's stamp, not from a
                // slot's stale or unset one.
                final long delayNs = pipeline.queueDelayNs(ConnectionState.OWNER_PARSE);
                assertTrue(delayNs < TimeUnit.SECONDS.toNanos(10), "parse inbox delay " + delayNs + " ns");
            }
            try (Socket fresh = connect()) {
                send(fresh, GET_HELLO);
                assertEquals(HELLO_RESPONSE, readResponse(fresh), "new connections are seated again");
            }
            send(kept, GET_HELLO);
            assertEquals(HELLO_RESPONSE, readResponse(kept), "the kept-alive connection goes on");
        }
        assertEquals(0, pipeline.overloadedRequests(ConnectionState.OWNER_WRITE));
    }

    @Test
    void shouldSeatNewConnectionsOnTheHealthyParseThreadWhileAnotherIsStalled() throws Exception {
        pipeline = Pipeline.start(config().parseThreads(2).build());
        final AdmissionGate stalledGate = pipeline.admissionGates(ConnectionState.OWNER_PARSE)[0];
        final Socket[] seated = new Socket[4];
        final Socket waiting;
        final Stall stall = new Stall(pipeline.stage("weir-parse-0").selector);
        try {
            // Slot 0, on top of the free stack, belongs to parse thread 0: its hand-off wakes the stalled thread.
            waiting = connect();
            send(waiting, GET_HELLO);
            awaitCondition(() -> !stalledGate.admits(System.nanoTime()), "the stalled parse thread's gate closes");
            final long before = pipeline.overloadedRequests(ConnectionState.OWNER_PARSE);
            // Kept open, so each takes the next free slots; every other one belongs to the stalled thread.
            for (int i = 0; i < seated.length; i++) {
                seated[i] = connect();
                send(seated[i], GET_HELLO);
                assertEquals(HELLO_RESPONSE, readResponse(seated[i]), "connection " + i + " is seated on parse-1");
            }
            assertEquals(before, pipeline.overloadedRequests(ConnectionState.OWNER_PARSE), "nothing refused");
        } finally {
            stall.release();
            for (final Socket socket : seated) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
        try (Socket served = waiting) {
            final String answer = readResponse(served);
            assertTrue(answer.equals(HELLO_RESPONSE) || answer.equals(refusal()), answer);
        }
    }

    @Test
    void shouldAnswerNewRequests503AtParseWhileTheWriteStageIsStalledAndCompleteResponsesUnderWay()
        throws Exception {
        // Every part goes through the write stage.
        pipeline = Pipeline.start(config().writeThrough(false).build());
        final AdmissionGate gate = pipeline.admissionGates(ConnectionState.OWNER_WRITE)[0];
        try (Socket kept = connect(); Socket second = connect()) {
            send(kept, "GET /size/" + LARGE + " HTTP/1.1\r\nHost: a\r\n\r\n");
            readHead(kept);
            // The response has started and waits in the write stage for the client to read on.
            final Stall stall = new Stall(pipeline.stage("weir-write-0").selector);
            try {
                // A response handed to the write thread: it wakes the thread if the stall caught it before a sleep.
                send(second, GET_HELLO);
                awaitCondition(() -> !gate.admits(System.nanoTime()), "the stalled write thread's gate closes");
                final long before = pipeline.overloadedRequests(ConnectionState.OWNER_WRITE);
                try (Socket refused = connect()) {
                    send(refused, GET_HELLO);
                    // Written by the parse stage itself: the stalled write stage is not needed to refuse.
                    assertEquals(refusal(), readAll(refused));
                }
                try (Socket refusedToo = connect()) {
                    send(refusedToo, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
                    assertEquals(refusal(), readAll(refusedToo), "a request with a body is refused whole");
                }
                assertEquals(before + 2, pipeline.overloadedRequests(ConnectionState.OWNER_WRITE));
            } finally {
                stall.release();
            }
            awaitCondition(() -> gate.admits(System.nanoTime()), "the gate opens once the write thread turns");
            // Admitted before the gate closed, so answered in full after the stall: never cut, never refused.
            assertPattern(kept, LARGE);
            final String answer = readResponse(second);
            assertTrue(answer.equals(HELLO_RESPONSE) || answer.startsWith("HTTP/1.1 503 "), answer);
            try (Socket fresh = connect()) {
                send(fresh, GET_HELLO);
                assertEquals(HELLO_RESPONSE, readResponse(fresh), "requests are served again");
            }
        }
        assertEquals(0, pipeline.overloadedRequests(ConnectionState.OWNER_PARSE));
    }

    /**
     * Holds a stage's selector monitor: the JDK selects under it, so the stage thread blocks at its next select,
     * as a thread stuck in a turn or descheduled for long would.
     */
    static final class Stall {

        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final Thread holder;

        Stall(final Selector selector) throws InterruptedException {
            holder = new Thread(() -> {
                synchronized (selector) {
                    held.countDown();
                    try {
                        release.await();
                    } catch (final InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, "stall");
            holder.setDaemon(true);
            holder.start();
            // A stage asleep in its selector holds the monitor until its select times out.
            assertTrue(held.await(10, TimeUnit.SECONDS), "the stage's selector is held");
        }

        void release() {
            release.countDown();
            try {
                holder.join(10_000);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String refusal() {
        return new String(CannedResponses.bytes(503), StandardCharsets.US_ASCII);
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void send(final Socket socket, final String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** Reads up to the end of the response head. */
    private static String readHead(final Socket socket) throws IOException {
        final StringBuilder head = new StringBuilder();
        final InputStream in = socket.getInputStream();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int b = in.read();
            assertTrue(b >= 0, "end of stream inside the head: " + head);
            head.append((char) b);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200 "), head.toString());
        return head.toString();
    }

    private static String readAll(final Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    /** Reads a body of {@code length} bytes of the loopback origin's pattern: a cut or wrong byte fails. */
    private static void assertPattern(final Socket socket, final int length) throws IOException {
        final InputStream in = socket.getInputStream();
        final byte[] chunk = new byte[65536];
        int read = 0;
        while (read < length) {
            final int n = in.read(chunk, 0, Math.min(chunk.length, length - read));
            assertTrue(n > 0, "the body ended after " + read + " of " + length + " bytes");
            for (int i = 0; i < n; i++) {
                if (chunk[i] != LoopbackOrigin.patternByte(read + i)) {
                    throw new AssertionError("byte " + (read + i) + " of the body");
                }
            }
            read += n;
        }
    }
}
