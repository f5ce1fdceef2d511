package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.config.ConfigLoader;
import dev.weir.stage.Pipeline;
import dev.weir.upstream.UpstreamServer;

/**
 * Routing and balancing end to end: two groups of two origins each, chosen by Host and path prefix, and weights
 * honoured. Each origin answers with its own name, so the client sees which one served it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutingIT {

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    /** An origin whose every answer is 200 with its name as the body. */
    private ScriptedOrigin named(final String name) throws IOException {
        return weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw("HTTP/1.1 200 OK\r\nContent-Length: "
            + name.length() + "\r\n\r\n" + name, true)));
    }

    private Pipeline start(final String yaml) {
        return weir.start(builder -> ConfigLoader.readYaml(yaml, "RoutingIT", builder));
    }

    private static String get(final RawHttp http, final String host, final String path) throws IOException {
        http.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        final RawHttp.Response response = http.read(false);
        assertEquals(200, response.status, response.head);
        return response.text();
    }

    @Test
    void shouldRouteTwoGroupsOfTwoOriginsByHostAndPath() throws Exception {
        final ScriptedOrigin a1 = named("a1");
        final ScriptedOrigin a2 = named("a2");
        final ScriptedOrigin b1 = named("b1");
        final ScriptedOrigin b2 = named("b2");
        final Pipeline pipeline = start(String.join("\n",
            "upstreams:",
            "  api: {servers: [127.0.0.1:" + a1.port() + ", 127.0.0.1:" + a2.port() + "]}",
            "  web:",
            "    default: true",
            "    servers: [127.0.0.1:" + b1.port() + ", 127.0.0.1:" + b2.port() + "]",
            "routes:",
            "  - {host: api.example.com, upstream: api}",
            "  - {host: '*.example.com', path: /api/, upstream: api}",
            ""));
        final Map<String, Integer> served = new HashMap<>();
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < 2; i++) {
                served.merge("api.example.com " + get(http, "api.example.com", "/anything"), 1, Integer::sum);
                served.merge("API.example.COM:8080 " + get(http, "API.example.COM:8080", "/x"), 1, Integer::sum);
                served.merge("www.example.com/api/ " + get(http, "www.example.com", "/api/users"), 1, Integer::sum);
                served.merge("www.example.com/ " + get(http, "www.example.com", "/index.html"), 1, Integer::sum);
                served.merge("other.org/api/ " + get(http, "other.org", "/api/users"), 1, Integer::sum);
                served.merge("example.com/api/ " + get(http, "example.com", "/api/"), 1, Integer::sum);
            }
        }
        // Each group alternates between its two servers (round-robin, equal weights) whatever the route.
        final Map<String, Integer> expected = new HashMap<>();
        expected.put("api.example.com a1", 1);
        expected.put("api.example.com a2", 1);
        expected.put("API.example.COM:8080 a1", 1);
        expected.put("API.example.COM:8080 a2", 1);
        expected.put("www.example.com/api/ a1", 1);
        expected.put("www.example.com/api/ a2", 1);
        // web: www.example.com/, other.org/api/ and example.com/api/ take b1, b2, b1, b2, b1, b2 in turn.
        expected.put("www.example.com/ b1", 1);
        expected.put("other.org/api/ b2", 1);
        expected.put("example.com/api/ b1", 1);
        expected.put("www.example.com/ b2", 1);
        expected.put("other.org/api/ b1", 1);
        expected.put("example.com/api/ b2", 1);
        assertEquals(expected, served);
        final List<UpstreamServer> servers = pipeline.upstreamServers();
        assertEquals("api", servers.get(0).group());
        assertEquals("127.0.0.1:" + a1.port(), servers.get(0).address());
        assertEquals("127.0.0.1:" + b2.port(), pipeline.serverAddress(3));
        for (final UpstreamServer server : servers) {
            assertEquals(3, server.requests(), server.toString());
            assertEquals(0, server.failures(), server.toString());
        }
        assertEquals(6, a1.requests() + a2.requests());
        assertEquals(6, b1.requests() + b2.requests());
    }

    @Test
    void shouldCountEveryServersRequestsOverSeveralUpstreamThreads() throws Exception {
        final ScriptedOrigin a1 = named("a1");
        final ScriptedOrigin a2 = named("a2");
        final Pipeline pipeline = weir.start(builder -> ConfigLoader.readYaml("upstreams:\n  api: {servers: [127.0.0.1:"
            + a1.port() + ", 127.0.0.1:" + a2.port() + "]}\n", "RoutingIT", builder.upstreamThreads(3)));
        final int clients = 6;
        final int requests = 50;
        final Thread[] threads = new Thread[clients];
        final java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int c = 0; c < clients; c++) {
            threads[c] = new Thread(() -> {
                try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
                    for (int i = 0; i < requests; i++) {
                        get(http, "any", "/");
                    }
                } catch (final Throwable t) {
                    failures.add(t);
                }
            });
            threads[c].start();
        }
        for (final Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), List.copyOf(failures));
        final List<UpstreamServer> servers = pipeline.upstreamServers();
        // Each upstream thread balances its own clients: one client per thread alternates, so each server gets half.
        assertEquals(clients * requests / 2, servers.get(0).requests());
        assertEquals(clients * requests / 2, servers.get(1).requests());
        assertEquals(clients * requests / 2, a1.requests());
        WeirExtension.awaitIdle(pipeline);
        assertEquals(0, servers.get(0).busyConnections() + servers.get(1).busyConnections());
        assertEquals(pipeline.upstreamConnectionsOpen(), servers.get(0).openConnections()
            + servers.get(1).openConnections());
        assertEquals(servers.get(0).openConnections(), servers.get(0).idleConnections(), "every open one is idle");
    }

    @Test
    void shouldHonourWeights() throws Exception {
        final ScriptedOrigin heavy = named("heavy");
        final ScriptedOrigin light = named("light");
        final Pipeline pipeline = start("upstreams:\n  g:\n    servers:\n"
            + "      - {address: 127.0.0.1:" + heavy.port() + ", weight: 3}\n"
            + "      - 127.0.0.1:" + light.port() + "\n");
        final StringBuilder sequence = new StringBuilder();
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < 40; i++) {
                sequence.append(get(http, "any", "/").charAt(0));
            }
        }
        assertEquals(30, heavy.requests(), sequence.toString());
        assertEquals(10, light.requests(), sequence.toString());
        // Smooth: the light server's turns are spread out, never two heavy runs of more than three.
        assertEquals("hhlh".repeat(10), sequence.toString());
    }

    @Test
    void shouldBalanceOnFewestRequestsInFlightWithLeastConnections() throws Exception {
        // The first origin holds every request it gets for a while; the second answers at once.
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        final ScriptedOrigin slow = weir.own(ScriptedOrigin.start((request, index, onConnection) -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ScriptedOrigin.Reply.raw("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow", true);
        }));
        final ScriptedOrigin fast = named("fast");
        final Pipeline pipeline = start("upstreams:\n  g:\n    balance: least-connections\n    servers: [127.0.0.1:"
            + slow.port() + ", 127.0.0.1:" + fast.port() + "]\n");
        try (RawHttp held = new RawHttp(pipeline.listenAddress().getPort());
            RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            held.send("GET /held HTTP/1.1\r\nHost: any\r\n\r\n");
            ScriptedOrigin.await("the first request reaches the slow origin", () -> slow.requests() == 1, 5_000);
            for (int i = 0; i < 10; i++) {
                assertEquals("fast", get(http, "any", "/"), "request " + i + ": the slow server has one in flight");
            }
            release.countDown();
            assertEquals("slow", held.read(false).text());
        }
        assertEquals(1, slow.requests());
        assertEquals(10, fast.requests());
    }
}
