package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.config.ConfigLoader;
import dev.weir.config.WeirConfig;
import dev.weir.http.CannedResponses;
import dev.weir.stage.Pipeline;
import dev.weir.upstream.UpstreamPool;

/**
 * Each pool shrunk in turn to one or two under twenty concurrent clients: every request gets a valid answer (a
 * byte-exact 200, or the canned 503) within a deadline, nothing leaks (the extension's check), and once the load
 * stops a normal request is served promptly.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolExhaustionIT {

    private static final int THREADS = 20;
    private static final int REQUESTS_PER_THREAD = 25;
    private static final int[] SIZES = {0, 1000, 20_000, 100_000};
    /** Longest any request may take, refused or served. */
    private static final int ANSWER_DEADLINE_MS = 5_000;
    private static final long AFTER_LOAD_BOUND_MS = 1_000;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private static UnaryOperator<WeirConfig.Builder> shrink(final String pool) {
        switch (pool) {
            case "slots":
                // Slots, and with them the per-connection parse and upstream blocks.
                return config -> config.connections(2);
            case "origin-connections":
                return config -> config.upstreamMaxConnections(1).upstreamQueueTimeoutMs(100);
            case "both":
                return config -> config.connections(2).upstreamMaxConnections(1).upstreamQueueTimeoutMs(100);
            default:
                throw new IllegalArgumentException(pool);
        }
    }

    private static String cannedBody(final int status) {
        final String all = new String(CannedResponses.bytes(status), StandardCharsets.ISO_8859_1);
        return all.substring(all.indexOf("\r\n\r\n") + 4);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"slots", "origin-connections", "both"})
    void shouldGiveEveryRequestAValidAnswerWhenAPoolIsTiny(final String pool) throws Exception {
        final Pipeline pipeline = weir.start(shrink(pool));
        final int port = pipeline.listenAddress().getPort();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final Queue<String> failures = new ConcurrentLinkedQueue<>();
        final ExecutorService executor = Executors.newFixedThreadPool(THREADS);
        final long start = System.nanoTime();
        try {
            final List<Future<?>> clients = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int thread = t;
                clients.add(executor.submit(() -> {
                    for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                        final int size = SIZES[(thread + i) % SIZES.length];
                        final String where = "thread " + thread + " request " + i + " (" + size + " bytes): ";
                        try {
                            final RawHttp.Response response = request(port, size);
                            if (response.status == 503 && cannedBody(503).equals(response.text())) {
                                refused.incrementAndGet();
                            } else if (response.status == 200 && response.body.length == size
                                && BodyPattern.mismatch(response.body, 0, size, 0) < 0) {
                                ok.incrementAndGet();
                            } else {
                                failures.add(where + response.head + response.body.length + " body bytes");
                            }
                        } catch (final IOException e) {
                            failures.add(where + e);
                        }
                    }
                    return null;
                }));
            }
            for (final Future<?> client : clients) {
                client.get(45, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("weir-it pool exhaustion (%s): %d served, %d refused with 503, %d failed in %d ms%n", pool,
            ok.get(), refused.get(), failures.size(), ms);
        assertTrue(failures.isEmpty(), failures.size() + " requests without a valid answer, first: " + failures.peek());
        assertEquals((long) THREADS * REQUESTS_PER_THREAD, ok.get() + refused.get(), "answers");
        assertTrue(ok.get() > 0, "some requests were served");

        WeirExtension.awaitIdle(pipeline);
        final long after = System.nanoTime();
        final RawHttp.Response response = request(port, 1000);
        final long afterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - after);
        assertEquals(200, response.status, response.head);
        assertTrue(afterMs < AFTER_LOAD_BOUND_MS, "served " + afterMs + " ms after the load stopped");
    }

    /**
     * Origin connections run out and requests wait for one: they are seated in the order they arrived. A
     * keep-alive client whose next request is already in Weir when its exchange ends (pipelined here) does not
     * take the connection it just gave back ahead of a client that has been waiting.
     */
    @Test
    void shouldSeatRequestsWaitingForAnOriginConnectionInArrivalOrder() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> arrivals = new CopyOnWriteArrayList<>();
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.start((request, index, onConnection) -> {
            arrivals.add(request.path);
            return request.path.equals("/a0") ? ScriptedOrigin.Reply.okWhen(release, 10) : ScriptedOrigin.Reply.ok(10);
        }));
        final Pipeline pipeline = Pipeline.start(WeirExtension.testConfig(origin.port()).upstreamMaxConnections(1)
            .upstreamQueueTimeoutMs(30_000).build());
        try {
            assertSeatedInOrder(pipeline, release, arrivals);
        } finally {
            pipeline.close();
        }
    }

    private static void assertSeatedInOrder(final Pipeline pipeline, final CountDownLatch release,
        final List<String> arrivals) throws Exception {
        final int port = pipeline.listenAddress().getPort();
        final int pipelined = 6;
        try (RawHttp first = new RawHttp(port); RawHttp waiting = new RawHttp(port)) {
            final StringBuilder requests = new StringBuilder();
            for (int i = 0; i < pipelined; i++) {
                requests.append("GET /a").append(i).append(" HTTP/1.1\r\nHost: weir\r\n\r\n");
            }
            first.send(requests.toString());
            ScriptedOrigin.await("the first request held at the origin", () -> arrivals.contains("/a0"), 10_000);
            waiting.send("GET /b HTTP/1.1\r\nHost: weir\r\n\r\n");
            ScriptedOrigin.await("the second client's request queued for the one origin connection",
                () -> pipeline.upstreamQueued() == 1, 10_000);
            release.countDown();
            assertEquals(200, waiting.read(false).status);
            for (int i = 0; i < pipelined; i++) {
                assertEquals(200, first.read(false).status, "pipelined response " + i);
            }
        }
        assertEquals(pipelined + 1, arrivals.size(), "requests at the origin: " + arrivals);
        assertEquals("/b", arrivals.get(1), "the waiting request was seated after a later one: " + arrivals);
        WeirExtension.awaitIdle(pipeline);
    }

    /**
     * Three keep-alive clients in a closed loop over one origin connection to a group of two equal servers: every
     * request after the first waits in the queue. Round robin still alternates the servers, since a request picks
     * its server when it is served and not also when it queues; and each request that waited counts as a failed
     * take of the pool.
     */
    @Test
    void shouldBalanceRoundRobinEvenlyAndCountEveryWaitWhileRequestsQueue() throws Exception {
        final ScriptedOrigin.Script paced = (request, index, onConnection) -> {
            // An origin slower than the clients, so requests queue for the one connection.
            try {
                Thread.sleep(5);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ScriptedOrigin.Reply.ok(2);
        };
        final ScriptedOrigin a = weir.own(ScriptedOrigin.start(paced));
        final ScriptedOrigin b = weir.own(ScriptedOrigin.start(paced));
        final String group = "upstreams:\n  g:\n    servers: [127.0.0.1:" + a.port() + ", 127.0.0.1:" + b.port()
            + "]\n";
        final Pipeline pipeline = weir.start(builder -> ConfigLoader.readYaml(group, "PoolExhaustionIT", builder)
            .upstreamMaxConnections(1).upstreamQueueTimeoutMs(10_000));
        final int clients = 3;
        final int each = 20;
        final ExecutorService executor = Executors.newFixedThreadPool(clients);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                done.add(executor.submit(() -> {
                    try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
                        for (int i = 0; i < each; i++) {
                            http.send("GET /" + i + " HTTP/1.1\r\nHost: any\r\n\r\n");
                            assertEquals(200, http.read(false).status);
                        }
                    }
                    return null;
                }));
            }
            for (final Future<?> client : done) {
                client.get(30, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
        final int total = clients * each;
        assertEquals(total, a.requests() + b.requests());
        assertTrue(Math.abs(a.requests() - b.requests()) <= 2, "round robin: a " + a.requests() + ", b "
            + b.requests());
        final UpstreamPool origins = pipeline.upstreamPools().get(0);
        assertTrue(origins.waits() > each, "most requests waited: " + origins.waits());
        assertEquals(origins.waits(), origins.counters().failedAcquisitions(), "each wait is a failed take");
    }

    /**
     * One request on its own connection. A refused connection may be closed before the request is written; the
     * answer is read anyway, as a real client does.
     */
    private static RawHttp.Response request(final int port, final int size) throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            http.socket().setSoTimeout(ANSWER_DEADLINE_MS);
            try {
                http.send("GET /bytes/" + size + " HTTP/1.1\r\nHost: weir\r\nConnection: close\r\n\r\n");
            } catch (final IOException e) {
                // Refused before the request went out: the 503 is already waiting to be read.
            }
            return http.read(false);
        }
    }
}
