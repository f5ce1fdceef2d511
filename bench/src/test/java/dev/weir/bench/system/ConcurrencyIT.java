package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.RawHttp;
import dev.weir.stage.Pipeline;

/**
 * Many clients at once: every response byte-exact, none lost, none repeated, nothing leaked. Once through the
 * async JDK HttpClient (whose pool opens and drops connections as it likes: churn) and once with 200 raw
 * keep-alive connections held open together.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ConcurrencyIT {

    private static final int CLIENTS = 200;
    private static final int REQUESTS_PER_CLIENT = 50;
    private static final int[] SIZES = {0, 128, 16 * 1024, 100 * 1024};

    /**
     * 512 slots: the JDK client's pool may briefly hold idle connections beside the 200 busy ones (a chain's next
     * request can start before its previous connection is back in the pool), and a 503 would fail the test.
     */
    @RegisterExtension
    final WeirExtension weir = new WeirExtension(config -> config.connections(512).upstreamMaxConnections(32));

    @Test
    void shouldAnswerTwoHundredConcurrentClientsFiftyTimesEachByteExact() throws Exception {
        final Pipeline pipeline = weir.pipeline();
        final ExecutorService executor = Executors.newFixedThreadPool(4);
        try {
            final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();
            final AtomicLong ok = new AtomicLong();
            final AtomicLong bytes = new AtomicLong();
            final Queue<String> failures = new ConcurrentLinkedQueue<>();
            final long start = System.nanoTime();
            final List<CompletableFuture<Void>> chains = new ArrayList<>(CLIENTS);
            for (int c = 0; c < CLIENTS; c++) {
                chains.add(chain(client, c, 0, ok, bytes, failures));
            }
            CompletableFuture.allOf(chains.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("weir-it concurrency: %d requests, %d MiB of bodies in %d ms; %d client connections%n",
                ok.get(), bytes.get() >> 20, ms, pipeline.stageCounters().get(0).accepted());
            assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.peek());
            assertEquals((long) CLIENTS * REQUESTS_PER_CLIENT, ok.get(), "responses checked");
            assertEquals(0, pipeline.rejectedConnections(), "connections refused for want of a slot");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void shouldAnswerTwoHundredRawConnectionsHeldOpenTogetherFiftyTimesEach() throws Exception {
        final Pipeline pipeline = weir.pipeline();
        final int port = weir.port();
        final ExecutorService executor = Executors.newFixedThreadPool(CLIENTS);
        try {
            // Every client connects, then all start together: 200 connections really are open at once.
            final CyclicBarrier allConnected = new CyclicBarrier(CLIENTS);
            final AtomicLong ok = new AtomicLong();
            final Queue<String> failures = new ConcurrentLinkedQueue<>();
            final List<Future<?>> clients = new ArrayList<>(CLIENTS);
            final long start = System.nanoTime();
            for (int c = 0; c < CLIENTS; c++) {
                final int client = c;
                clients.add(executor.submit(() -> {
                    try (RawHttp http = new RawHttp(port)) {
                        allConnected.await(30, TimeUnit.SECONDS);
                        for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                            final int size = SIZES[(client + i) % SIZES.length];
                            final String path = ((client + i) % 3 == 1 ? "/chunked/" : "/bytes/") + size;
                            http.send("GET " + path + " HTTP/1.1\r\nHost: weir\r\n\r\n");
                            final RawHttp.Response response = http.read(false);
                            final long wrong = BodyPattern.mismatch(response.body, 0, response.body.length, 0);
                            if (response.status != 200 || response.body.length != size || wrong >= 0) {
                                failures.add("client " + client + " request " + i + " " + path + ": status "
                                    + response.status + ", " + response.body.length + " bytes, wrong byte at " + wrong);
                                return null;
                            }
                            ok.incrementAndGet();
                        }
                    } catch (final Exception e) {
                        failures.add("client " + client + ": " + e);
                    }
                    return null;
                }));
            }
            for (final Future<?> client : clients) {
                client.get(60, TimeUnit.SECONDS);
            }
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("weir-it concurrency (raw): %d requests on %d connections in %d ms%n", ok.get(),
                pipeline.stageCounters().get(0).accepted(), ms);
            assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.peek());
            assertEquals((long) CLIENTS * REQUESTS_PER_CLIENT, ok.get(), "responses checked");
            assertEquals(CLIENTS, pipeline.stageCounters().get(0).accepted(), "one connection per client");
        } finally {
            executor.shutdownNow();
        }
    }

    /** Client {@code c}'s request {@code i}, then the next one once it is answered and checked. */
    private CompletableFuture<Void> chain(final HttpClient client, final int c, final int i, final AtomicLong ok,
        final AtomicLong bytes, final Queue<String> failures) {
        if (i == REQUESTS_PER_CLIENT) {
            return CompletableFuture.completedFuture(null);
        }
        final int size = SIZES[(c + i) % SIZES.length];
        // Every third request asks for a chunked response of the same bytes.
        final String path = ((c + i) % 3 == 0 ? "/chunked/" : "/bytes/") + size;
        final URI uri = weir.uri(path);
        return client.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofByteArray())
            .handle((response, error) -> {
                final String where = "client " + c + " request " + i + " " + path + ": ";
                if (error != null) {
                    failures.add(where + error);
                } else if (response.statusCode() != 200) {
                    failures.add(where + "status " + response.statusCode());
                } else if (response.body().length != size) {
                    failures.add(where + response.body().length + " bytes");
                } else if (BodyPattern.mismatch(response.body(), 0, size, 0) >= 0) {
                    failures.add(where + "wrong byte at " + BodyPattern.mismatch(response.body(), 0, size, 0));
                } else {
                    ok.incrementAndGet();
                    bytes.addAndGet(size);
                }
                return null;
            })
            .thenCompose(ignored -> chain(client, c, i + 1, ok, bytes, failures));
    }
}
