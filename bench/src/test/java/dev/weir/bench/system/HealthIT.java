package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.config.ConfigLoader;
import dev.weir.stage.Pipeline;
import dev.weir.upstream.UpstreamServer;

/**
 * Health end to end: a server that stops is ejected with no client error for idempotent requests, the active
 * check marks a server down and up again, a group with no server left answers 503 at once, and a POST is never
 * sent twice.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthIT {

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private Pipeline start(final String yaml) {
        return weir.start(builder -> ConfigLoader.readYaml(yaml, "HealthIT", builder));
    }

    private static RawHttp.Response exchange(final Pipeline pipeline, final String request) throws IOException {
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            http.send(request);
            return http.read(request.startsWith("HEAD"));
        }
    }

    @Test
    void shouldEjectAStoppedOriginWithNoClientErrorForIdempotentRequests() throws Exception {
        final ScriptedOrigin first = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(OK, true)));
        // Not owned: the test stops it; a stopped origin holds nothing the leak check would miss.
        final ScriptedOrigin second = ScriptedOrigin.always(ScriptedOrigin.Reply.raw(OK, true));
        final Pipeline pipeline = start("upstreams:\n  g:\n    fail-timeout: 30s\n    servers: [127.0.0.1:"
            + first.port() + ", 127.0.0.1:" + second.port() + "]\n");
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < 200; i++) {
                if (i == 50) {
                    second.close();
                }
                final String method = i % 3 == 0 ? "HEAD" : i % 3 == 1 ? "GET" : "DELETE";
                http.send(method + " /item/" + i + " HTTP/1.1\r\nHost: any\r\n\r\n");
                final RawHttp.Response response = http.read(method.equals("HEAD"));
                assertEquals(200, response.status, "request " + i + " (" + method + "): " + response.head);
            }
        }
        final List<UpstreamServer> servers = pipeline.upstreamServers();
        final UpstreamServer stopped = servers.get(1);
        assertFalse(stopped.healthy(), "the stopped server is ejected");
        assertEquals(1, stopped.ejections(), "ejected once: a server left out takes no request to fail");
        assertEquals(1, stopped.failures(), "its connect was refused once");
        // The request it refused went to the other server; so did one that met its closed idle connection, if the
        // proxy had not yet seen that close.
        assertTrue(stopped.retries() >= 1 && stopped.retries() <= 2, "retries " + stopped.retries());
        assertEquals(25, second.requests(), "it served its turns until it stopped");
        assertEquals(175, first.requests(), "the rest, the retried request included");
        assertTrue(servers.get(0).healthy());
        assertEquals(0, servers.get(0).failures());
        assertEquals(stopped.retries(), pipeline.retries());
    }

    @Test
    void shouldMarkAServerDownAndUpAgainByTheActiveCheckAndAnswer503WhileNoneIsUp() throws Exception {
        final AtomicBoolean up = new AtomicBoolean(true);
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.start((request, index, onConnection) ->
            !request.path.equals("/healthz") ? ScriptedOrigin.Reply.raw(OK, true) : up.get()
                ? ScriptedOrigin.Reply.raw("HTTP/1.1 204 No Content\r\n\r\n", false)
                : ScriptedOrigin.Reply.raw("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", false)));
        final Pipeline pipeline = start("upstreams:\n  g:\n    servers: [127.0.0.1:" + origin.port() + "]\n"
            + "    health: {path: /healthz, interval: 50ms, timeout: 1s}\n");
        final UpstreamServer server = pipeline.upstreamServers().get(0);
        ScriptedOrigin.await("a first check", () -> origin.requests("GET", "/healthz") >= 1, 5_000);
        assertTrue(server.healthy());
        assertEquals(200, exchange(pipeline, "GET / HTTP/1.1\r\nHost: any\r\n\r\n").status);

        up.set(false);
        ScriptedOrigin.await("the check marks the server down", () -> !server.healthy(), 5_000);
        final int before = origin.requests("GET", "/");
        final long start = System.nanoTime();
        final RawHttp.Response refused = exchange(pipeline, "GET / HTTP/1.1\r\nHost: any\r\n\r\n");
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(503, refused.status, refused.head);
        assertTrue(refused.headers.containsKey("retry-after"), refused.head);
        assertTrue(tookMs < 1_000, "answered at once, not after a timeout: " + tookMs + " ms");
        assertEquals(before, origin.requests("GET", "/"), "nothing reached the origin");

        up.set(true);
        ScriptedOrigin.await("the check marks the server up again", server::healthy, 5_000);
        assertEquals(200, exchange(pipeline, "GET / HTTP/1.1\r\nHost: any\r\n\r\n").status);
        assertTrue(pipeline.healthChecks() >= 3, "checks: " + pipeline.healthChecks());
        assertEquals(0, server.ejections(), "the active check does not eject; it marks down");
    }

    @Test
    void shouldAnswer503AtOnceWhenEveryServerOfTheGroupIsEjected() throws Exception {
        final Pipeline pipeline = start("upstreams:\n  g:\n    servers: [127.0.0.1:" + WeirExtension.deadPort()
            + ", 127.0.0.1:" + WeirExtension.deadPort() + "]\n");
        // The first request is refused by both servers (the second try is the retry): 502, both ejected.
        assertEquals(502, exchange(pipeline, "GET / HTTP/1.1\r\nHost: any\r\n\r\n").status);
        for (final UpstreamServer server : pipeline.upstreamServers()) {
            assertFalse(server.healthy(), server.toString());
            assertEquals(1, server.ejections(), server.toString());
        }
        final long start = System.nanoTime();
        final RawHttp.Response response = exchange(pipeline, "GET / HTTP/1.1\r\nHost: any\r\n\r\n");
        assertEquals(503, response.status, response.head);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1_000);
        assertEquals(2, pipeline.upstreamServers().get(0).failures() + pipeline.upstreamServers().get(1).failures(),
            "no connect was tried for the 503");
    }

    @Test
    void shouldNotBlameAServerForAReusedConnectionItClosed() throws Exception {
        // The first origin answers the first request of each connection and resets on the next: to the proxy, a
        // reused connection that fails before any response byte, as when an origin closes an idle connection.
        final ScriptedOrigin closing = weir.own(ScriptedOrigin.start((request, index, onConnection) ->
            onConnection == 0 ? ScriptedOrigin.Reply.raw(OK, true) : ScriptedOrigin.Reply.resetWithoutAnswer()));
        final ScriptedOrigin other = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(OK, true)));
        final Pipeline pipeline = start("upstreams:\n  g:\n    servers: [127.0.0.1:" + closing.port()
            + ", 127.0.0.1:" + other.port() + "]\n");
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            for (int i = 0; i < 3; i++) {
                // GET: the third goes to the first origin's reused connection, fails, and is sent again.
                http.send("GET /" + i + " HTTP/1.1\r\nHost: any\r\n\r\n");
                assertEquals(200, http.read(false).status, "GET " + i);
            }
        }
        final UpstreamServer first = pipeline.upstreamServers().get(0);
        assertEquals(1, pipeline.retries());
        assertEquals(0, first.failures(), "an idle close is not the server's failure");
        assertTrue(first.healthy());
        // POST on a reused connection the origin resets: 502 (never sent twice), and still not a server failure.
        final String post = "POST /p HTTP/1.1\r\nHost: any\r\nContent-Length: 1\r\n\r\nx";
        int sent = 0;
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            int status = 0;
            while (sent < 4 && status != 502) {
                http.send(post);
                sent++;
                status = http.read(false).status;
            }
            assertEquals(502, status, "a POST met the reused connection");
        }
        assertEquals(0, first.failures());
        assertEquals(0, first.ejections());
        assertEquals(sent, closing.requests("POST", "/p") + other.requests("POST", "/p"), "each POST sent once");
    }

    /**
     * A reused connection the origin closes before answering, and the origin gone (nothing listens) when the GET is
     * sent again: the retry's own failure is answered (502) and the slot comes back (the extension's leak check),
     * rather than the response half being left with no owner and the client with no answer.
     */
    @Test
    void shouldAnswer502WhenTheRetryAfterAnIdleCloseCannotConnect() throws Exception {
        final ServerSocket listener = weir.own(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        final Thread origin = new Thread(() -> {
            try (Socket socket = listener.accept()) {
                final InputStream in = socket.getInputStream();
                readHead(in);
                socket.getOutputStream().write(OK.getBytes(StandardCharsets.ISO_8859_1));
                readHead(in);
                // The origin goes away: nothing listens any more, and the kept connection closes unanswered.
                listener.close();
            } catch (final IOException e) {
                // The client's side of the test tells.
            }
        }, "origin-going-away");
        origin.setDaemon(true);
        origin.start();
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", listener.getLocalPort()));
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            http.socket().setSoTimeout(10_000);
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status);
            http.send("GET /again HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.End end = http.readToEnd();
            assertTrue(end.text().startsWith("HTTP/1.1 502 "), end.toString());
        }
        assertEquals(1, pipeline.retries(), "the GET was sent again once");
    }

    private static void readHead(final InputStream in) throws IOException {
        int matched = 0;
        while (matched < 4) {
            final int b = in.read();
            if (b < 0) {
                throw new IOException("closed before a whole head");
            }
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
    }

    @Test
    void shouldNeverSendAPostTwice() throws Exception {
        final ScriptedOrigin alive = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(OK, true)));
        final Pipeline refusing = start("upstreams:\n  g:\n    servers: [127.0.0.1:" + WeirExtension.deadPort()
            + ", 127.0.0.1:" + alive.port() + "]\n");
        final String post = "POST /order HTTP/1.1\r\nHost: any\r\nContent-Length: 5\r\n\r\nhello";
        assertEquals(502, exchange(refusing, post).status, "refused by the first server, not retried on another");
        assertEquals(0, alive.requests("POST", "/order"));
        assertEquals(0, refusing.upstreamServers().get(0).retries());
        assertEquals(200, exchange(refusing, post).status, "the refusing server is ejected now");
        assertEquals(1, alive.requests("POST", "/order"));

        // A server that takes the request and resets: each POST it got was sent once, and answered 502.
        final ScriptedOrigin resetting = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.resetWithoutAnswer()));
        final Pipeline mixed = start("upstreams:\n  g:\n    max-fails: 0\n    servers: [127.0.0.1:" + resetting.port()
            + ", 127.0.0.1:" + alive.port() + "]\n");
        int failed = 0;
        for (int i = 0; i < 6; i++) {
            final int status = exchange(mixed, post).status;
            assertEquals(i % 2 == 0 ? 502 : 200, status, "POST " + i);
            failed += status == 502 ? 1 : 0;
        }
        assertEquals(failed, resetting.requests("POST", "/order"), "each failed POST reached the origin once");
        assertEquals(0, mixed.retries());
        assertEquals(3, mixed.upstreamServers().get(0).failures());
        assertTrue(mixed.upstreamServers().get(0).healthy(), "max-fails 0 never ejects");
    }
}
