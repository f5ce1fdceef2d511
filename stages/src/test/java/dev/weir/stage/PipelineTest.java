package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.RouteConfig;
import dev.weir.config.UpstreamGroupConfig;
import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionState;
import dev.weir.support.LoopbackOrigin;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PipelineTest {

    private LoopbackOrigin origin;
    private Pipeline pipeline;
    private HttpClient client;

    @BeforeEach
    void start() throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(config().build());
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
            .build();
    }

    private WeirConfig.Builder config() {
        return WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port()).connections(32)
            .parseBufferBytes(4096).upstreamBufferBytes(16384);
    }

    @AfterEach
    void stop() throws Exception {
        stopChecked(pipeline, origin);
    }

    /**
     * The one teardown of the pipeline tests: every slot and block came back, no stage counted a bug, and the
     * pipeline and the origin (each when started) are closed whatever failed.
     */
    static void stopChecked(final Pipeline pipeline, final LoopbackOrigin origin) throws Exception {
        try {
            if (pipeline != null) {
                awaitIdle(pipeline);
                assertEquals(0, pipeline.bugs(), "unexpected exceptions in the stages");
            }
        } finally {
            if (pipeline != null) {
                pipeline.close();
            }
            if (origin != null) {
                origin.close();
            }
        }
    }

    static void awaitIdle(final Pipeline pipeline) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!pipeline.isIdle()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("leak: " + pipeline.describePools() + "\n" + pipeline.describeBusySlots());
            }
            Thread.sleep(5);
        }
    }

    private URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + pipeline.listenAddress().getPort() + path);
    }

    @Test
    void shouldProxyGetRequest() throws Exception {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("hello\n", response.body());
    }

    @Test
    void shouldServeManySequentialRequestsOnOneConnection() throws Exception {
        for (int i = 0; i < 200; i++) {
            final HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri("/size/" + (i * 37)))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, response.statusCode());
            assertEquals(i * 37, response.body().length);
            for (int k = 0; k < response.body().length; k++) {
                if (response.body()[k] != LoopbackOrigin.patternByte(k)) {
                    throw new AssertionError("byte " + k + " of response " + i);
                }
            }
        }
        assertEquals(1, origin.connections(), "the origin connection is kept alive");
    }

    @Test
    void shouldAllocateNothingPerRequestOnStageThreads() throws Exception {
        try (Socket socket = connect()) {
            final byte[] request = "GET /size/100 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            final InputStream in = socket.getInputStream();
            final int responseLength = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".length() + 100;
            for (int i = 0; i < 20_000; i++) {
                socket.getOutputStream().write(request);
                try {
                    assertEquals(responseLength, in.readNBytes(responseLength).length);
                } catch (final IOException ex) {
                    throw new AssertionError("request " + i + ": " + ex + "\n" + pipeline.describeBusySlots(), ex);
                }
            }
            final long before = pipeline.stageAllocatedBytes();
            final int measured = 5_000;
            for (int i = 0; i < measured; i++) {
                socket.getOutputStream().write(request);
                assertEquals(responseLength, in.readNBytes(responseLength).length);
            }
            final long perRequest = (pipeline.stageAllocatedBytes() - before) / measured;
            assertEquals(0, perRequest, "bytes allocated per request on the stage threads");
        }
    }

    @Test
    void shouldAllocateNothingPerRoutedAndBalancedRequestOnStageThreads() throws Exception {
        try (LoopbackOrigin second = LoopbackOrigin.start()) {
            final UpstreamGroupConfig.Server one = new UpstreamGroupConfig.Server("127.0.0.1", origin.port(), 1, "a0");
            final UpstreamGroupConfig.Server two = new UpstreamGroupConfig.Server("127.0.0.1", second.port(), 2, "a1");
            pipeline.close();
            pipeline = Pipeline.start(config().upstreamGroups(List.of(
                new UpstreamGroupConfig("both", List.of(one, two), UpstreamGroupConfig.ROUND_ROBIN, false, -1, -1, -1,
                    null, -1, -1, -1, -1),
                new UpstreamGroupConfig("fewest", List.of(two, one), UpstreamGroupConfig.LEAST_CONNECTIONS, true, -1,
                    -1, -1, null, -1, -1, -1, -1)))
                .routes(List.of(new RouteConfig("*.example.com", "/size/", "both", "routes[0]"))).build());
            try (Socket socket = connect()) {
                final byte[][] requests = {
                    "GET /size/100 HTTP/1.1\r\nHost: A.Example.com:8080\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                    "GET /size/100 HTTP/1.1\r\nHost: other\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                };
                final InputStream in = socket.getInputStream();
                final int responseLength = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".length() + 100;
                long before = 0;
                for (int i = 0; i < 25_000; i++) {
                    if (i == 20_000) {
                        before = pipeline.stageAllocatedBytes();
                    }
                    socket.getOutputStream().write(requests[i % 2]);
                    assertEquals(responseLength, in.readNBytes(responseLength).length, "request " + i);
                }
                final long perRequest = (pipeline.stageAllocatedBytes() - before) / 5_000;
                assertEquals(0, perRequest, "bytes allocated per routed request on the stage threads");
            }
            final List<dev.weir.upstream.UpstreamServer> servers = pipeline.upstreamServers();
            assertEquals(4, servers.size());
            // "both" sends 1 in 3 of its half to the first origin, 2 in 3 to the second (weights 1, 2); "fewest"
            // sees no request in flight at each pick, so it takes its servers in turn.
            assertEquals(12_500 / 3, servers.get(0).requests(), 1);
            assertEquals(12_500 * 2 / 3, servers.get(1).requests(), 1);
            assertEquals(6_250, servers.get(2).requests());
            assertEquals(6_250, servers.get(3).requests());
            // Each server reuses its own idle connection: one per server, none closed for another server.
            assertEquals(2, origin.connections(), "connections to the first origin (two servers)");
            assertEquals(2, second.connections(), "connections to the second origin (two servers)");
            assertEquals(4, pipeline.upstreamConnectionsOpen());
        }
    }

    @Test
    void shouldAllocateNothingPerUploadStreamedInPartsOnStageThreads() throws Exception {
        // 20 KiB bodies through 4 KiB parse blocks: each request crosses the request half's body loop five times.
        final byte[] body = new byte[20 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        final byte[] head = ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        final byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        final int responseLength = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").length()
            + body.length;
        try (Socket socket = connect()) {
            // One write without Nagle: the client's own delayed-ACK stall would otherwise dominate each upload.
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(5_000);
            final InputStream in = socket.getInputStream();
            long before = 0;
            for (int i = 0; i < 3_000; i++) {
                if (i == 2_000) {
                    before = pipeline.stageAllocatedBytes();
                }
                socket.getOutputStream().write(request);
                final byte[] response;
                try {
                    response = in.readNBytes(responseLength);
                } catch (final IOException ex) {
                    throw new AssertionError("upload " + i + ": " + ex + "\n" + pipeline.describeBusySlots(), ex);
                }
                assertEquals(responseLength, response.length);
                assertEquals(body[body.length - 1], response[response.length - 1]);
            }
            final long perRequest = (pipeline.stageAllocatedBytes() - before) / 1_000;
            assertEquals(0, perRequest, "bytes allocated per streamed upload on the stage threads");
        }
    }

    @Test
    void shouldShardConnectionsAcrossSeveralThreadsPerStage() throws Exception {
        pipeline.close();
        // Without write-through every part goes through a write thread, so each of them is exercised.
        pipeline = Pipeline.start(config().parseThreads(2).upstreamThreads(2).writeThreads(3).upstreamMaxConnections(5)
            .writeThrough(false).build());
        final int clients = 12;
        final Thread[] threads = new Thread[clients];
        final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int c = 0; c < clients; c++) {
            final int size = 1000 + c * 5000;
            threads[c] = new Thread(() -> {
                try (Socket socket = connect()) {
                    final byte[] request = ("GET /size/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                    final int headLength = ("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").length();
                    for (int i = 0; i < 50; i++) {
                        socket.getOutputStream().write(request);
                        final byte[] response = socket.getInputStream().readNBytes(headLength + size);
                        for (int k = 0; k < size; k++) {
                            if (response[headLength + k] != LoopbackOrigin.patternByte(k)) {
                                throw new AssertionError("byte " + k + " of a " + size + " byte body");
                            }
                        }
                        answered.incrementAndGet();
                    }
                } catch (final Throwable t) {
                    failures.add(t);
                }
            });
            threads[c].start();
        }
        for (final Thread thread : threads) {
            thread.join(30_000);
        }
        assertTrue(failures.isEmpty(), () -> failures.toString());
        assertEquals(clients * 50, answered.get());
        // Every thread of every stage served some of the connections: accept, parse x2, upstream x2, write x3.
        final java.util.List<StageCounters> counters = pipeline.stageCounters();
        assertEquals(1 + 2 + 2 + 3, counters.size());
        for (int i = 1; i < 5; i++) {
            assertTrue(counters.get(i).requests() > 0, "parse or upstream thread " + i + " served nothing");
        }
        for (int i = 5; i < 8; i++) {
            assertTrue(counters.get(i).responses() > 0, "write thread " + (i - 5) + " served nothing");
        }
    }

    @Test
    void shouldStreamResponseLargerThanBlock() throws Exception {
        final int size = 5 * 1024 * 1024 + 7;
        final HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri("/size/" + size)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(size, response.body().length);
        for (int k = 0; k < size; k++) {
            if (response.body()[k] != LoopbackOrigin.patternByte(k)) {
                throw new AssertionError("byte " + k);
            }
        }
    }

    @Test
    void shouldEchoUploadLargerThanBlock() throws Exception {
        final byte[] body = new byte[1024 * 1024 + 3];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        final HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri("/echo"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertArrayEquals(body, response.body());
    }

    @Test
    void shouldForwardChunkedUpload() throws Exception {
        final String request = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        final String response = exchange(request);
        assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
        assertTrue(response.endsWith("hello world"), response);
    }

    @Test
    void shouldAppendForwardedForAndDropHopByHopFields() throws Exception {
        final String response = exchange("GET /head HTTP/1.1\r\nHost: a\r\nConnection: close, X-Secret\r\n"
            + "X-Secret: 1\r\nKeep-Alive: 5\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n");
        assertTrue(response.contains("X-Forwarded-For: 10.1.1.1, 127.0.0.1\r\n"), response);
        assertTrue(!response.contains("X-Secret") && !response.contains("Keep-Alive"), response);
    }

    @Test
    void shouldAnswerBadRequestWith400() throws Exception {
        final String response = exchange("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 400 "), response);
    }

    @Test
    void shouldAnswerOversizedHeadWith431() throws Exception {
        final String response = exchange("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(5000) + "\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 431 "), response);
    }

    @Test
    void shouldAnswer502WhenOriginIsDown() throws Exception {
        pipeline.close();
        origin.close();
        final int deadPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            deadPort = probe.getLocalPort();
        }
        // The precondition the test rests on: nothing listens on the origin port any more.
        org.junit.jupiter.api.Assertions.assertThrows(java.net.ConnectException.class,
            () -> new Socket(InetAddress.getLoopbackAddress(), deadPort).close());
        pipeline = Pipeline.start(config().upstream("127.0.0.1", deadPort).build());
        origin = LoopbackOrigin.start();
        final String response = exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 502 "), response);
    }

    @Test
    void shouldLeaveANewConnectionInTheBacklogWhileSlotsAreExhaustedAndSeatItOnceOneReturns() throws Exception {
        pipeline.close();
        // A queue timeout far beyond the test's own: the waiting connection can only be seated, never shed.
        pipeline = Pipeline.start(config().connections(2).upstreamMaxConnections(2).acceptQueueTimeoutMs(120_000)
            .build());
        final byte[] request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        // Part of a head: a request under way holds its slot (an idle keep-alive connection would give it up).
        final byte[] partial = "GET / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket a = connect(); Socket b = connect()) {
            for (final Socket held : new Socket[] {a, b}) {
                held.getOutputStream().write(partial);
            }
            awaitCondition(() -> pipeline.stageCounters().get(0).accepted() == 2, "both seated");
            try (Socket c = connect()) {
                c.getOutputStream().write(request);
                awaitCondition(() -> pipeline.acceptPauses() > 0, "accepting paused");
                assertEquals(2, pipeline.stageCounters().get(0).accepted(), "the third connection waits unaccepted");
                assertEquals(0, pipeline.rejectedConnections());
                assertEquals(0, c.getInputStream().available(), "no answer while it waits");
                a.shutdownOutput(); // the client leaves: its slot returns
                assertTrue(readResponse(c).startsWith("HTTP/1.1 200 "), "seated once a slot returned");
            }
        }
        assertEquals(0, pipeline.rejectedConnections(), "nothing was shed");
        assertEquals(0, pipeline.idleReclaimed(), "no connection was idle");
        assertEquals(3, pipeline.stageCounters().get(0).accepted());
    }

    @Test
    void shouldAnswer503WithRetryAfterToAConnectionLeftInTheBacklogPastTheQueueTimeout() throws Exception {
        pipeline.close();
        final long queueTimeoutMs = 300;
        pipeline = Pipeline.start(config().connections(1).upstreamMaxConnections(1)
            .acceptQueueTimeoutMs(queueTimeoutMs).build());
        final byte[] request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket held = connect()) {
            // Part of a head: a request under way keeps its slot; an idle connection would give it up.
            held.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
            awaitCondition(() -> pipeline.stageCounters().get(0).accepted() == 1, "seated");
            final long start = System.nanoTime();
            try (Socket waiting = connect()) {
                waiting.getOutputStream().write(request);
                // The whole 503, then an end of stream (readAllBytes returns only at EOF; the socket times out).
                final String response = new String(waiting.getInputStream().readAllBytes(),
                    StandardCharsets.US_ASCII);
                final long waitedMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertEquals(new String(dev.weir.http.CannedResponses.bytes(503), StandardCharsets.US_ASCII),
                    response);
                assertTrue(response.contains("\r\nRetry-After: "), response);
                assertTrue(waitedMs >= queueTimeoutMs - 20, "answered after " + waitedMs + " ms, before the timeout");
            }
            assertEquals(1, pipeline.rejectedConnections());
            held.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(readResponse(held).startsWith("HTTP/1.1 200 "), "the seated connection is unharmed");
        }
    }

    @Test
    void shouldAnswer503WhileTheUpstreamQueueDelayPassesTheTargetAndServeAgainAfter() throws Exception {
        pipeline.close();
        final long targetMs = 1_000;
        pipeline = Pipeline.start(config().admissionQueueDelayMs(targetMs).build());
        // As the upstream thread does when every request of an interval waited ten targets. Nothing else writes
        // the gate meanwhile: no request has been sent yet, and none reaches the upstream stage while it is closed.
        final AdmissionGate gate = pipeline.admissionGates(ConnectionState.OWNER_UPSTREAM)[0];
        final long waitedNs = Duration.ofMillis(10 * targetMs).toNanos();
        final long now = System.nanoTime();
        gate.onTaken(waitedNs, now - Duration.ofMillis(targetMs).toNanos());
        gate.onTaken(waitedNs, now);
        final String refused = exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(new String(dev.weir.http.CannedResponses.bytes(503), StandardCharsets.US_ASCII), refused);
        assertTrue(refused.contains("\r\nRetry-After: "), refused);
        assertEquals(1, pipeline.overloadedRequests());
        assertEquals(0, pipeline.rejectedConnections(), "answered by the parse stage, not shed at accept");
        awaitCondition(() -> gate.admits(System.nanoTime()), "the gate reopens after one target");
        assertTrue(exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("HTTP/1.1 200 "), "served again");
        assertEquals(1, pipeline.overloadedRequests());
        assertTrue(pipeline.queueDelayNs(ConnectionState.OWNER_UPSTREAM) < Duration.ofMillis(targetMs).toNanos(),
            "the request served was measured, under the target");
    }

    @Test
    void shouldAnswer503WhileTheWriteQueueDelayPassesTheTargetWithoutTheWriteStageAndServeAgainAfter()
        throws Exception {
        pipeline.close();
        final long targetMs = 1_000;
        pipeline = Pipeline.start(config().admissionQueueDelayMs(targetMs).build());
        // As the write thread does when everything of an interval waited ten targets; nothing else reaches it.
        final AdmissionGate gate = pipeline.admissionGates(ConnectionState.OWNER_WRITE)[0];
        final long waitedNs = Duration.ofMillis(10 * targetMs).toNanos();
        final long now = System.nanoTime();
        gate.onTaken(waitedNs, now - Duration.ofMillis(targetMs).toNanos());
        gate.onTaken(waitedNs, now);
        final long writeHandoffs = writeStage().counters().handoffs();
        final String refused = exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(new String(dev.weir.http.CannedResponses.bytes(503), StandardCharsets.US_ASCII), refused);
        assertEquals(1, pipeline.overloadedRequests(ConnectionState.OWNER_WRITE));
        assertEquals(0, pipeline.overloadedRequests(ConnectionState.OWNER_UPSTREAM));
        assertEquals(writeHandoffs, writeStage().counters().handoffs(), "the parse stage wrote the 503 itself");
        assertEquals(0, origin.connections(), "nothing reached the origin");
        awaitCondition(() -> gate.admits(System.nanoTime()), "the gate reopens after one target");
        assertTrue(exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("HTTP/1.1 200 "), "served again");
        assertEquals(1, pipeline.overloadedRequests());
    }

    @Test
    void shouldAnswerNewConnections503AtAcceptWhileTheParseQueueDelayPassesTheTargetAndSeatThemAgainAfter()
        throws Exception {
        pipeline.close();
        final long targetMs = 1_000;
        pipeline = Pipeline.start(config().admissionQueueDelayMs(targetMs).build());
        // As the parse thread does when every new connection of an interval waited ten targets; none reaches it
        // while the gate is closed, so nothing else writes the gate meanwhile.
        final AdmissionGate gate = pipeline.admissionGates(ConnectionState.OWNER_PARSE)[0];
        final long waitedNs = Duration.ofMillis(10 * targetMs).toNanos();
        final long now = System.nanoTime();
        gate.onTaken(waitedNs, now - Duration.ofMillis(targetMs).toNanos());
        gate.onTaken(waitedNs, now);
        final long parseHandoffs = pipeline.stage("weir-parse-0").counters().handoffs();
        final String refused = exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(new String(dev.weir.http.CannedResponses.bytes(503), StandardCharsets.US_ASCII), refused);
        assertEquals(1, pipeline.overloadedRequests(ConnectionState.OWNER_PARSE));
        assertEquals(0, pipeline.stageCounters().get(0).accepted(), "answered at accept, never seated");
        assertEquals(parseHandoffs, pipeline.stage("weir-parse-0").counters().handoffs(), "no parse work at all");
        awaitCondition(() -> gate.admits(System.nanoTime()), "the gate reopens after one target");
        assertTrue(exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("HTTP/1.1 200 "), "seated again");
        assertEquals(1, pipeline.overloadedRequests());
    }

    private SelectorStage writeStage() {
        return pipeline.stage("weir-write-0");
    }

    /** Reads one response whose body is the loopback origin's {@code hello\n}, or what comes until end of stream. */
    static String readResponse(final Socket socket) throws IOException {
        final StringBuilder text = new StringBuilder();
        final InputStream in = socket.getInputStream();
        while (!text.toString().endsWith("\r\n\r\nhello\n")) {
            final int b = in.read();
            if (b < 0) {
                break;
            }
            text.append((char) b);
        }
        return text.toString();
    }

    /**
     * A client whose receive buffer is 4 KiB, so a large answer fills its socket at once and stays in Weir's send
     * queue until the client reads.
     */
    static Socket slowClient(final Pipeline pipeline) throws IOException {
        final Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(pipeline.listenAddress(), 5_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    static void awaitCondition(final java.util.function.BooleanSupplier condition, final String what)
        throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            Thread.sleep(1);
        }
    }

    @Test
    void shouldFreeSlotWhenClientLeavesMidResponse() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("GET /size/50000000 HTTP/1.1\r\nHost: a\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            assertTrue(in.readNBytes(100_000).length == 100_000);
        }
    }

    @Test
    void shouldCountExchangesByStatusClassAndLatencyOnTheFinishingThreads() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertTrue(exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("HTTP/1.1 200 "));
        }
        assertTrue(exchange("GET / HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 400 "));
        awaitIdle(pipeline);
        final long[] classes = new long[ExchangeMetrics.STATUS_CLASSES];
        long latencies = 0;
        long inBuckets = 0;
        for (final ExchangeMetrics metrics : pipeline.exchangeMetrics()) {
            for (int c = 0; c < classes.length; c++) {
                classes[c] += metrics.exchanges(c);
            }
            latencies += metrics.latencyCount();
            for (int b = 0; b <= ExchangeMetrics.BUCKETS; b++) {
                inBuckets += metrics.bucket(b);
            }
            assertTrue(metrics.latencySumNanos() >= 0);
        }
        assertArrayEquals(new long[] {0, 0, 5, 0, 1, 0}, classes);
        assertEquals(6, latencies);
        assertEquals(6, inBuckets);
    }

    @Test
    void shouldCloseIdleConnectionsAndStopAcceptingWhenDraining() throws Exception {
        try (Socket idle = connect()) {
            idle.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final byte[] head = idle.getInputStream().readNBytes("HTTP/1.1 200 OK\r\n".length());
            assertEquals("HTTP/1.1 200 OK\r\n", new String(head, StandardCharsets.US_ASCII));
            idle.getInputStream().readNBytes(idle.getInputStream().available());
            awaitIdleKeepAlive();
            pipeline.drain();
            assertTrue(pipeline.isDraining());
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            // Whatever is left of the response, then the end of stream: the idle connection was closed.
            while (idle.getInputStream().read() >= 0) {
                assertTrue(System.nanoTime() < deadline, "idle keep-alive connection still open");
            }
        }
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try (Socket accepted = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort())) {
                assertTrue(accepted.isConnected() && System.nanoTime() < deadline, "still accepting while draining");
                Thread.sleep(5);
            } catch (final java.net.ConnectException expected) {
                break;
            } catch (final java.net.SocketException closedMidHandshake) {
                // The listening socket closed during this connect: the kernel resets what it had queued, and a
                // connect racing the close fails with a reset instead of a refusal. Either way nothing is accepted.
                assertTrue(String.valueOf(closedMidHandshake.getMessage()).contains("reset"),
                    closedMidHandshake.toString());
                break;
            }
        }
    }

    /** Wait until the one connection's request half is back at the parse stage, waiting for the next request. */
    private void awaitIdleKeepAlive() throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (pipeline.slots().slot(0).request.state != dev.weir.conn.ConnectionState.READING_HEAD
            && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(5_000);
        return socket;
    }

    private String exchange(final String request) throws IOException {
        try (Socket socket = connect()) {
            final OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
