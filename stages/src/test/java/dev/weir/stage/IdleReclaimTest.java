package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.config.ConfigKeys;
import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionState;
import dev.weir.support.LoopbackOrigin;

/**
 * Under overload an idle keep-alive connection gives its slot to a connection waiting in the listen backlog:
 * promptly, oldest first, with a clean close; never a connection with a request or a response under way, and
 * never while no connection waits.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IdleReclaimTest {

    private static final int SLOTS = 4;
    /** Far beyond any wait here: a waiting connection can only be seated by a slot given up or returned. */
    private static final long LONG_WAIT_MS = 120_000;
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    private static final String RESPONSE_END = "\r\n\r\nhello\n";
    /** Each test runs with parse and upstream fused on one thread (the default) and on separate threads. */
    private static final String FUSE_NAME = "fuse-parse-upstream {0}";

    private LoopbackOrigin origin;
    private Pipeline pipeline;
    private int parseThreads;
    private int slotCount;

    @BeforeEach
    void startOrigin() throws IOException {
        origin = LoopbackOrigin.start();
    }

    private void start(final String fuse, final long keepAliveMs) throws IOException {
        start(fuse, keepAliveMs, 1, ConfigKeys.DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS);
    }

    private void start(final String fuse, final long keepAliveMs, final int parseThreads,
        final long reclaimIdleAfterMs) throws IOException {
        start(fuse, keepAliveMs, parseThreads, reclaimIdleAfterMs, SLOTS);
    }

    /** @param fuse {@code fuse-parse-upstream}; as many upstream threads as parse threads, so {@code auto} fuses. */
    private void start(final String fuse, final long keepAliveMs, final int parseThreads,
        final long reclaimIdleAfterMs, final int slots) throws IOException {
        this.parseThreads = parseThreads;
        this.slotCount = slots;
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(slots).parseThreads(parseThreads).upstreamThreads(parseThreads).parseBufferBytes(4096)
            .upstreamBufferBytes(16384).keepAliveTimeoutMs(keepAliveMs).acceptQueueTimeoutMs(LONG_WAIT_MS)
            .acceptReclaimIdleAfterMs(reclaimIdleAfterMs).fuseParseUpstream(fuse).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldSeatAWaitingConnectionByClosingTheOldestIdleKeepAliveConnectionCleanly(final String fuse)
        throws Exception {
        start(fuse, LONG_WAIT_MS);
        final Socket[] idle = new Socket[SLOTS];
        try {
            for (int i = 0; i < SLOTS; i++) {
                idle[i] = connect();
                send(idle[i], REQUEST);
                assertTrue(readResponse(idle[i]).endsWith(RESPONSE_END));
                // One at a time into the keep-alive wait, so the first is the one idle longest.
                awaitKeepAliveWaits(i + 1);
            }
            try (Socket waiting = connect()) {
                send(waiting, REQUEST);
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END), "served while every slot was idle");
            }
            // A clean end of stream right after the whole response read before: neither a reset nor bytes.
            assertEquals(0, idle[0].getInputStream().readAllBytes().length, "the oldest idle connection closed");
            assertEquals(1, pipeline.idleReclaimed(), "one waiting connection, one slot given up");
            assertEquals(0, pipeline.rejectedConnections(), "nothing shed");
            for (int i = 1; i < SLOTS; i++) {
                send(idle[i], REQUEST);
                assertTrue(readResponse(idle[i]).endsWith(RESPONSE_END), "younger idle connection " + i + " kept");
            }
        } finally {
            closeAll(idle);
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldCloseOneBatchForOneCallWhicheverParseThreadsHoldTheIdleConnections(final String fuse) throws Exception {
        start(fuse, LONG_WAIT_MS, 2, ConfigKeys.DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS);
        final Socket[] idle = new Socket[SLOTS];
        try {
            for (int i = 0; i < SLOTS; i++) {
                idle[i] = connect();
                send(idle[i], REQUEST);
                assertTrue(readResponse(idle[i]).endsWith(RESPONSE_END));
            }
            awaitKeepAliveWaits(SLOTS);
            try (Socket waiting = connect()) {
                send(waiting, REQUEST);
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END), "served while every slot was idle");
            }
            // Both parse threads hold idle connections; the call's batch (1 at 4 slots) bounds them together.
            assertEquals(1, pipeline.idleReclaimed(), "one waiting connection, one slot given up");
            assertEquals(0, pipeline.rejectedConnections(), "nothing shed");
        } finally {
            closeAll(idle);
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldCloseOneIdleConnectionForOneWaitingAndSeatACrowdInAFewCalls(final String fuse) throws Exception {
        final int slots = 16;
        start(fuse, LONG_WAIT_MS, 1, ConfigKeys.DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS, slots);
        final Socket[] idle = new Socket[slots];
        final Socket[] crowd = new Socket[slots / 2];
        try {
            for (int i = 0; i < slots; i++) {
                idle[i] = connect();
                send(idle[i], REQUEST);
                assertTrue(readResponse(idle[i]).endsWith(RESPONSE_END));
            }
            awaitKeepAliveWaits(slots);
            try (Socket waiting = connect()) {
                send(waiting, REQUEST);
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END));
            }
            assertEquals(1, pipeline.idleReclaimed(), "one waiting connection, one idle connection closed");
            for (int i = 0; i < crowd.length; i++) {
                crowd[i] = connect();
                send(crowd[i], REQUEST);
            }
            for (final Socket waiting : crowd) {
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END), "every waiting connection seated");
            }
            // Each call comes only with every slot taken, so calls of 1, 2, 4, ... idle connections close fewer than
            // twice as many as the waiting connections took: the crowd, less one if the slot of the connection that
            // left above came back in time to seat one.
            final long reclaimed = pipeline.idleReclaimed() - 1;
            assertTrue(reclaimed >= crowd.length - 1 && reclaimed < 2L * crowd.length, reclaimed + " closed for "
                + crowd.length + " waiting");
            assertEquals(0, pipeline.rejectedConnections(), "nothing shed");
        } finally {
            closeAll(idle);
            closeAll(crowd);
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldReclaimAKeepAliveConnectionOnlyOnceItsClientHasTakenItsLastAnswer(final String fuse)
        throws Exception {
        start(fuse, LONG_WAIT_MS, 1, ConfigKeys.DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS, 1);
        final int size = 40_000;
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(pipeline.listenAddress(), 5_000);
            slow.setSoTimeout(10_000);
            send(slow, "GET /size/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n");
            // The answer queued whole, most of it not taken: the slot waits for the next request meanwhile.
            awaitKeepAliveWaits(1);
            try (Socket waiting = connect()) {
                send(waiting, REQUEST);
                awaitCondition(() -> pipeline.acceptPauses() > 0, "accepting paused for want of a slot");
                // Idle past the reclaim threshold, and looked at again after that, while its answer is untaken.
                final long pastThresholdNs = System.nanoTime()
                    + 3 * ConfigKeys.DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS * 1_000_000L;
                awaitCondition(() -> System.nanoTime() > pastThresholdNs, "three reclaim thresholds passed");
                awaitParseTurns(3);
                assertEquals(0, pipeline.idleReclaimed(), "a connection still taking its answer is not idle");
                WriteThroughTest.readWhole(slow.getInputStream(), size);
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END), "seated once the answer was taken");
            }
            assertEquals(-1, slow.getInputStream().read(), "the reclaimed connection ends cleanly");
            assertEquals(1, pipeline.idleReclaimed(), "reclaimed once idle with nothing untaken");
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldKeepAConnectionIdleForLessThanTheReclaimThreshold(final String fuse) throws Exception {
        start(fuse, LONG_WAIT_MS, 1, LONG_WAIT_MS);
        final Socket[] idle = new Socket[SLOTS];
        try {
            for (int i = 0; i < SLOTS; i++) {
                idle[i] = connect();
                send(idle[i], REQUEST);
                assertTrue(readResponse(idle[i]).endsWith(RESPONSE_END));
            }
            awaitKeepAliveWaits(SLOTS);
            try (Socket waiting = connect()) {
                send(waiting, REQUEST);
                awaitCondition(() -> pipeline.acceptPauses() > 0, "accepting paused for want of a slot");
                awaitParseTurns(3);
                assertEquals(0, pipeline.idleReclaimed(), "no connection idle long enough to give its slot up");
                assertEquals(0, waiting.getInputStream().available(), "the waiting connection is not served");
                idle[2].close(); // the client leaves: its slot returns
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END), "seated once a slot returned");
            }
            assertEquals(0, pipeline.idleReclaimed());
        } finally {
            closeAll(idle);
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldNeverReclaimAConnectionMidRequestOrMidResponse(final String fuse) throws Exception {
        start(fuse, LONG_WAIT_MS);
        final Socket[] busy = new Socket[SLOTS];
        try {
            for (int i = 0; i < SLOTS; i++) {
                busy[i] = connect();
            }
            // Two with part of a head, two with half a response read and the rest held by the origin.
            send(busy[0], "GET / HTTP/1.1\r\n");
            send(busy[1], "GET / HTTP/1.1\r\nHost: a\r\n");
            send(busy[2], "GET /held-mid-body HTTP/1.1\r\nHost: a\r\n\r\n");
            send(busy[3], "GET /held-mid-body HTTP/1.1\r\nHost: a\r\n\r\n");
            for (final Socket streaming : new Socket[] {busy[2], busy[3]}) {
                assertTrue(readHeadAndFirstHalf(streaming).endsWith("\r\n\r\nhello"));
            }
            awaitCondition(() -> pipeline.stageCounters().get(0).accepted() == SLOTS, "every slot taken");
            try (Socket waiting = connect()) {
                send(waiting, REQUEST);
                awaitCondition(() -> pipeline.acceptPauses() > 0, "accepting paused for want of a slot");
                // The call for slots reached every parse thread and was answered: a few turns of each after it.
                awaitParseTurns(3);
                assertEquals(0, pipeline.idleReclaimed(), "no connection under way given up");
                assertEquals(0, waiting.getInputStream().available(), "the waiting connection is not served");
                // Completed and answered, the request's connection falls idle and gives its slot up at once.
                send(busy[1], "\r\n");
                assertTrue(readResponse(busy[1]).endsWith(RESPONSE_END), "the partial head completed and served");
                assertEquals(0, busy[1].getInputStream().readAllBytes().length, "closed cleanly after its answer");
                assertTrue(readResponse(waiting).endsWith(RESPONSE_END), "served once a connection fell idle");
                send(busy[0], "Host: a\r\n\r\n");
                assertTrue(readResponse(busy[0]).endsWith(RESPONSE_END), "the partial head completed and served");
                origin.releaseHeld();
                origin.releaseHeld();
                for (final Socket streaming : new Socket[] {busy[2], busy[3]}) {
                    assertEquals("world", new String(streaming.getInputStream().readNBytes(5),
                        StandardCharsets.US_ASCII), "the held response completed");
                }
            }
            assertEquals(0, pipeline.rejectedConnections(), "nothing shed");
            assertEquals(1, pipeline.idleReclaimed(), "one waiting connection, one slot given up");
        } finally {
            closeAll(busy);
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldKeepIdleConnectionsToTheirKeepAliveTimeoutWhileNoneWaits(final String fuse) throws Exception {
        final long keepAliveMs = 1_500;
        start(fuse, keepAliveMs);
        final Socket[] idle = new Socket[SLOTS];
        try {
            for (int i = 0; i < SLOTS; i++) {
                idle[i] = connect();
                send(idle[i], REQUEST);
            }
            for (int i = 0; i < SLOTS; i++) {
                assertTrue(readResponse(idle[i]).endsWith(RESPONSE_END));
            }
            final long allIdleNs = System.nanoTime();
            for (int i = 0; i < SLOTS; i++) {
                // Closed cleanly, by the keep-alive deadline and not before it.
                assertEquals(0, idle[i].getInputStream().readAllBytes().length);
                final long openMs = Duration.ofNanos(System.nanoTime() - allIdleNs).toMillis();
                assertTrue(openMs >= keepAliveMs - 50, "connection " + i + " closed after " + openMs + " ms");
            }
            assertEquals(0, pipeline.idleReclaimed(), "no slot was wanted");
            assertEquals(0, pipeline.acceptPauses(), "no connection waited: filling the last slot pauses nothing");
        } finally {
            closeAll(idle);
        }
    }

    @ParameterizedTest(name = FUSE_NAME)
    @ValueSource(strings = {"auto", "false"})
    void shouldLetTheJdkClientsKeepAlivePoolRecoverFromAReclaimedConnection(final String fuse) throws Exception {
        // The test JVM's clients drop pooled connections after jdk.httpclient.keepalive.timeout=1 (a second, at the
        // pool's granularity of seconds, so possibly much less): to be the one given up, it goes at once.
        start(fuse, LONG_WAIT_MS, 1, 1);
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        final URI uri = URI.create("http://127.0.0.1:" + pipeline.listenAddress().getPort() + "/");
        final HttpRequest get = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
        final Socket[] busy = new Socket[SLOTS - 1];
        try {
            // Requests under way hold the other slots, so the client's pooled connection is the one idle.
            for (int i = 0; i < busy.length; i++) {
                busy[i] = connect();
                send(busy[i], "GET / HTTP/1.1\r\n");
            }
            awaitCondition(() -> pipeline.stageCounters().get(0).accepted() == busy.length, "requests under way");
            // The pool may drop its connection itself first (see above): then the waiting connection takes that
            // slot, leaves, and the client's next connection is tried again, a few times at most.
            for (int attempt = 1; pipeline.idleReclaimed() == 0; attempt++) {
                assertTrue(attempt <= 5, "the client's pooled connection never given up");
                assertEquals("hello\n", client.send(get, HttpResponse.BodyHandlers.ofString()).body());
                try (Socket waiting = connect()) {
                    send(waiting, REQUEST);
                    assertTrue(readResponse(waiting).endsWith(RESPONSE_END));
                }
            }
            assertEquals(1, pipeline.idleReclaimed(), "the client's pooled connection given up");
            try (Socket idle = connect()) {
                send(idle, REQUEST);
                assertTrue(readResponse(idle).endsWith(RESPONSE_END));
                // The next request finds its pooled connection closed: the client retries or connects anew, which
                // waits for a slot the connection just served gives up once idle, and succeeds either way.
                for (int i = 0; i < 3; i++) {
                    final HttpResponse<String> response = client.send(get, HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, response.statusCode());
                    assertEquals("hello\n", response.body());
                }
            }
            assertEquals(0, pipeline.rejectedConnections(), "nothing shed");
        } finally {
            closeAll(busy);
        }
    }

    /**
     * Wait until this many connections, each after one request, are in the parse stage's keep-alive wait: their
     * request halves are back in {@code READING_HEAD} and the parse stage took each from its inbox (one hand-off
     * for the new connection, one for the keep-alive), so it set the wait up before it looks at anything else.
     */
    private void awaitKeepAliveWaits(final int count) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!(readingHead() == count && parseHandoffs() == 2L * count)) {
            assertTrue(System.nanoTime() < deadline, count + " connections idle in the keep-alive wait: "
                + readingHead() + " reading a head, " + parseHandoffs() + " parse hand-offs, accepted "
                + pipeline.stageCounters().get(0).accepted() + ", errors " + pipeline.connectionErrors() + "\n"
                + pipeline.describeBusySlots());
            Thread.sleep(1);
        }
    }

    /** @return hand-offs the parse threads took from their inboxes (they follow the accept stage's counters). */
    private long parseHandoffs() {
        long handoffs = 0;
        for (int i = 1; i <= parseThreads; i++) {
            handoffs += pipeline.stageCounters().get(i).handoffs();
        }
        return handoffs;
    }

    private int readingHead() {
        int n = 0;
        for (int i = 0; i < slotCount; i++) {
            if (pipeline.slots().slot(i).request.state == ConnectionState.READING_HEAD) {
                n++;
            }
        }
        return n;
    }

    private void awaitParseTurns(final int turns) throws InterruptedException {
        final long[] from = new long[pipeline.stageCounters().size()];
        for (int i = 0; i < from.length; i++) {
            from[i] = pipeline.stageCounters().get(i).turns();
        }
        awaitCondition(() -> {
            for (int i = 1; i < from.length; i++) {
                if (pipeline.stageCounters().get(i).turns() < from[i] + turns) {
                    return false;
                }
            }
            return true;
        }, turns + " turns of every stage thread");
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void send(final Socket socket, final String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads one "hello" response; a reset or an early end of stream fails the read. */
    private static String readResponse(final Socket socket) throws IOException {
        return readUntil(socket.getInputStream(), RESPONSE_END);
    }

    private static String readHeadAndFirstHalf(final Socket socket) throws IOException {
        return readUntil(socket.getInputStream(), "\r\n\r\nhello");
    }

    private static String readUntil(final InputStream in, final String end) throws IOException {
        final StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            final int b = in.read();
            if (b < 0) {
                throw new IOException("end of stream after: " + text);
            }
            text.append((char) b);
        }
        return text.toString();
    }

    private static void closeAll(final Socket[] sockets) throws IOException {
        for (final Socket socket : sockets) {
            if (socket != null) {
                socket.close();
            }
        }
    }
}
