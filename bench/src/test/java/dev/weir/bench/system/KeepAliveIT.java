package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.CountingRelay;
import dev.weir.bench.support.RawHttp;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/** Keep-alive on both sides: many requests on one client connection ride one origin connection. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeepAliveIT {

    private static final int REQUESTS = 1_000;
    /** Connections the JDK client may open for the thousand requests with keep-alive working (1,000 without). */
    private static final int HTTP_CLIENT_CONNECTIONS = 5;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    /** Sizes from 0 to about 70 KiB, several 16 KiB blocks, not multiples of anything the proxy uses. */
    private static int size(final int i) {
        return (int) ((i * 7919L) % 70_001);
    }

    private static void assertPattern(final byte[] body, final int expected, final int request) {
        assertEquals(expected, body.length, "body length of request " + request);
        final long wrong = BodyPattern.mismatch(body, 0, body.length, 0);
        assertEquals(-1, wrong, "first wrong byte of request " + request);
    }

    @Test
    void shouldServeAThousandSequentialRequestsOnOneRawConnectionOverOneOriginConnection() throws Exception {
        try (CountingRelay relay = CountingRelay.start(weir.origin().port())) {
            final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", relay.port()));
            try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
                for (int i = 0; i < REQUESTS; i++) {
                    // Every fourth response is chunked, the rest carry Content-Length.
                    final String route = i % 4 == 3 ? "/chunked/" : "/bytes/";
                    http.send("GET " + route + size(i) + " HTTP/1.1\r\nHost: weir\r\n\r\n");
                    final RawHttp.Response response = http.read(false);
                    assertEquals(200, response.status, response.head);
                    assertPattern(response.body, size(i), i);
                }
            }
            assertEquals(1, pipeline.stageCounters().get(0).accepted(), "client connections accepted");
            assertEquals(1, relay.connections(), "origin connections opened");
        }
    }

    /**
     * The JDK client may open another connection when its next request starts before the previous exchange's
     * connection is back in its pool (seen: 2 and 3 of 1,000, with Weir closing none: no deadline expired, no reset),
     * so this asks for a few kept-alive connections; the raw test above holds Weir to exactly one.
     */
    @Test
    void shouldServeAThousandSequentialRequestsFromOneHttpClientOverAFewKeptAliveConnections() throws Exception {
        try (CountingRelay relay = CountingRelay.start(weir.origin().port())) {
            final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", relay.port()));
            final String base = "http://127.0.0.1:" + pipeline.listenAddress().getPort();
            for (int i = 0; i < REQUESTS; i++) {
                final HttpResponse<byte[]> response = weir.client().send(HttpRequest.newBuilder(
                    java.net.URI.create(base + "/bytes/" + size(i))).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, response.statusCode());
                assertPattern(response.body(), size(i), i);
            }
            final long accepted = pipeline.stageCounters().get(0).accepted();
            assertTrue(accepted <= HTTP_CLIENT_CONNECTIONS, accepted + " client connections accepted");
            assertTrue(relay.connections() <= accepted, relay.connections() + " origin connections opened");
            for (int kind = 0; kind < TimeoutKind.COUNT; kind++) {
                assertEquals(0, pipeline.expirations(kind), TimeoutKind.name(kind) + " expired");
            }
        }
    }
}
