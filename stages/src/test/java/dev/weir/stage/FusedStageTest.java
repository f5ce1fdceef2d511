package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.ConfigException;
import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.TimeoutKind;
import dev.weir.http.CannedResponses;
import dev.weir.support.LoopbackOrigin;

/**
 * With {@code fuse-parse-upstream} one thread runs parse stage i and upstream stage i over one selector: requests,
 * keep-alive, uploads read through, deadlines and admission work as on separate threads, nothing is allocated per
 * request, and a parse to upstream hand-off pays no wakeup.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FusedStageTest {

    private static final String GET_HELLO = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    private static final String HELLO_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private WeirConfig.Builder config() throws IOException {
        origin = LoopbackOrigin.start();
        return WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port()).connections(32)
            .parseBufferBytes(4096).upstreamBufferBytes(16384).fuseParseUpstream(true);
    }

    @AfterEach
    void stop() throws Exception {
        if (origin != null) {
            origin.releaseHeld();
        }
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldRunParseAndUpstreamOnOneFusedThread() throws Exception {
        pipeline = Pipeline.start(config().build());
        assertTrue(threadNamed("weir-fused-0"), "the fused thread runs");
        assertFalse(threadNamed("weir-parse-0"), "no parse thread of its own");
        assertFalse(threadNamed("weir-upstream-0"), "no upstream thread of its own");
        // Metrics stay per stage: both stages are still listed, by their own names.
        assertEquals("weir-parse-0", pipeline.stage("weir-parse-0").roleName());
        assertEquals("weir-upstream-0", pipeline.stage("weir-upstream-0").roleName());
        // The metrics' thread label names the thread that runs them.
        int fusedViews = 0;
        for (final StageView view : pipeline.stageViews()) {
            if (view.stage().equals("parse") || view.stage().equals("upstream")) {
                assertEquals("weir-fused-0", view.thread(), view.stage());
                fusedViews++;
            }
        }
        assertEquals(2, fusedViews);
    }

    @Test
    void shouldServeKeepAliveRequestsWithoutWakingUpstreamForTheHandOff() throws Exception {
        pipeline = Pipeline.start(config().build());
        final SelectorStage upstream = pipeline.stage("weir-upstream-0");
        final int requests = 500;
        try (Socket socket = connect()) {
            for (int i = 0; i < requests; i++) {
                send(socket, "GET /size/" + (i * 37) + " HTTP/1.1\r\nHost: a\r\n\r\n");
                final byte[] body = ReadThroughTest.readAnswer(socket.getInputStream());
                assertEquals(i * 37, body.length, "body of request " + i);
                for (int k = 0; k < body.length; k++) {
                    assertEquals(LoopbackOrigin.patternByte(k), body[k], "byte " + k + " of request " + i);
                }
            }
        }
        assertTrue(upstream.counters().handoffs() >= requests, "requests handed to upstream through its inbox: "
            + upstream.counters().handoffs());
        // Each hand-off came from parse on the same thread, awake: not one wake pipe write to end a sleep.
        assertEquals(0, upstream.wakeups(), "wakeups paid to hand requests to the fused upstream stage");
        assertEquals(1, origin.connections(), "the origin connection is kept alive");
    }

    @Test
    void shouldEchoUploadsLargerThanABlockReadingTheirBodiesThrough() throws Exception {
        pipeline = Pipeline.start(config().build());
        final byte[] body = new byte[12_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = LoopbackOrigin.patternByte(i);
        }
        final byte[] head = ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = connect()) {
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < 50; i++) {
                socket.getOutputStream().write(ReadThroughTest.concat(head, body));
                assertArrayEquals(body, ReadThroughTest.readAnswer(in), "echoed body of upload " + i);
            }
            // Half a request, then the rest once upstream has handed the half back to parse to wait for it.
            final byte[] request = ReadThroughTest.concat(head, body);
            socket.getOutputStream().write(request, 0, 2048);
            awaitCondition(this::isAnyRequestReadingBody, "the half back at parse, waiting for the body's rest");
            socket.getOutputStream().write(request, 2048, request.length - 2048);
            assertArrayEquals(body, ReadThroughTest.readAnswer(in), "echoed body sent in two writes");
        }
        assertTrue(pipeline.stage("weir-upstream-0").counters().bodyPartsReadThrough() >= 50,
            "body parts read through by the fused upstream stage");
    }

    @Test
    void shouldAnswer504WhenTheOriginNeverAnswersByTheFusedThreadsDeadline() throws Exception {
        pipeline = Pipeline.start(config().upstreamResponseTimeoutMs(300).build());
        try (Socket socket = connect()) {
            send(socket, "GET /held HTTP/1.1\r\nHost: a\r\n\r\n");
            final String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 504", answer);
        }
        assertEquals(1, pipeline.expirations(TimeoutKind.UPSTREAM_RESPONSE));
    }

    @Test
    void shouldAllocateNothingPerRequestOnTheFusedThread() throws Exception {
        pipeline = Pipeline.start(config().build());
        try (Socket socket = connect()) {
            final byte[] request = "GET /size/100 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            final InputStream in = socket.getInputStream();
            final int responseLength = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".length() + 100;
            long before = 0;
            for (int i = 0; i < 25_000; i++) {
                if (i == 20_000) {
                    before = pipeline.stageAllocatedBytes();
                }
                socket.getOutputStream().write(request);
                assertEquals(responseLength, in.readNBytes(responseLength).length, "request " + i);
            }
            assertEquals(0, (pipeline.stageAllocatedBytes() - before) / 5_000,
                "bytes allocated per request on the stage threads");
        }
    }

    @Test
    void shouldServeConnectionsShardedOverTwoFusedThreads() throws Exception {
        pipeline = Pipeline.start(config().parseThreads(2).upstreamThreads(2).build());
        final Socket[] sockets = new Socket[6];
        try {
            for (int i = 0; i < sockets.length; i++) {
                sockets[i] = connect();
            }
            for (int round = 0; round < 20; round++) {
                for (final Socket socket : sockets) {
                    send(socket, GET_HELLO);
                }
                for (final Socket socket : sockets) {
                    assertEquals(HELLO_RESPONSE, PipelineTest.readResponse(socket));
                }
            }
        } finally {
            for (final Socket socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
        for (int thread = 0; thread < 2; thread++) {
            final SelectorStage upstream = pipeline.stage("weir-upstream-" + thread);
            assertTrue(upstream.counters().handoffs() > 0, "requests served by upstream " + thread);
            // Slot i is parse (i % 2)'s and upstream (i % 2)'s: every hand-off stays on its fused thread.
            assertEquals(0, upstream.wakeups(), "wakeups paid to hand requests to upstream " + thread);
        }
    }

    @Test
    void shouldCloseTheParseGateWhileTheFusedThreadIsStalledAndOpenBothAfter() throws Exception {
        pipeline = Pipeline.start(config().admissionQueueDelayMs(200).build());
        final AdmissionGate parseGate = pipeline.admissionGates(ConnectionState.OWNER_PARSE)[0];
        final AdmissionGate upstreamGate = pipeline.admissionGates(ConnectionState.OWNER_UPSTREAM)[0];
        try (Socket socket = connect()) {
            send(socket, GET_HELLO);
            assertEquals(HELLO_RESPONSE, PipelineTest.readResponse(socket));
            // Holding the shared selector's monitor blocks the fused thread at its next select, as a stuck turn would.
            final StalledStageAdmissionTest.Stall stall =
                new StalledStageAdmissionTest.Stall(pipeline.stage("weir-parse-0").selector);
            try {
                send(socket, GET_HELLO);
                // A new connection is a hand-off to parse: its flag is down even if the stall caught the thread
                // about to sleep, so the accept stage's gate sees the thread stalled. Upstream's gate is asked only
                // by this thread's own parse stage, which is stalled with it.
                try (Socket other = connect()) {
                    assertTrue(other.isConnected());
                    awaitCondition(() -> !parseGate.admits(System.nanoTime()), "the stalled parse gate closes");
                }
            } finally {
                stall.release();
            }
            // Served, or refused whole if the gate was still closed when the thread turned: never cut.
            final String answer = PipelineTest.readResponse(socket);
            assertTrue(answer.equals(HELLO_RESPONSE)
                || answer.equals(new String(CannedResponses.bytes(503), StandardCharsets.US_ASCII)), answer);
        }
        awaitCondition(() -> parseGate.admits(System.nanoTime()), "the parse gate opens once the thread turns");
        awaitCondition(() -> upstreamGate.admits(System.nanoTime()), "the upstream gate opens too");
        try (Socket fresh = connect()) {
            send(fresh, GET_HELLO);
            assertEquals(HELLO_RESPONSE, PipelineTest.readResponse(fresh), "served again");
        }
    }

    @Test
    void shouldFuseOnAutoOnlyWhereTheThreadCountsMatch() {
        final WeirConfig auto = WeirConfig.builder().upstream("127.0.0.1", 1).build();
        assertEquals("auto", auto.fuseParseUpstreamSetting(), "the default");
        assertTrue(auto.fuseParseUpstream(), "auto, one parse and one upstream thread: fused");
        assertFalse(auto.toBuilder().parseThreads(2).build().fuseParseUpstream(), "auto, unequal counts: not fused");
        assertFalse(auto.toBuilder().fuseParseUpstream("false").build().fuseParseUpstream(), "false: separate");
    }

    @Test
    void shouldRefuseFusingUnequalThreadCountsNamingTheKey() {
        final ConfigException thrown = assertThrows(ConfigException.class, () -> WeirConfig.builder()
            .upstream("127.0.0.1", 1).fuseParseUpstream(true).parseThreads(2).upstreamThreads(1).build());
        assertTrue(thrown.getMessage().startsWith("fuse-parse-upstream"), thrown.getMessage());
    }

    /** Reads slot states the stage threads own, without synchronisation: a test's poll, not an exact view. */
    private boolean isAnyRequestReadingBody() {
        for (int i = 0; i < pipeline.slots().capacity(); i++) {
            if (pipeline.slots().slot(i).request.state == ConnectionState.READING_BODY) {
                return true;
            }
        }
        return false;
    }

    private static boolean threadNamed(final String name) {
        for (final Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static void send(final Socket socket, final String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }
}
