package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.origin.DemoOrigin;
import dev.weir.bench.support.PatternInputStream;
import dev.weir.bench.support.RawHttp;
import dev.weir.stage.Pipeline;

/**
 * HTTP/1.1 semantics through the proxy: every method, both body framings in both directions, header
 * rewriting, pipelining, and each error Weir answers itself (400, 431, 502, 503) or passes on as a close.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MethodsIT {

    private static final String ROOT_BODY = DemoOrigin.ROOT_BODY;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private static byte[] pattern(final int length) {
        final byte[] bytes = new byte[length];
        BodyPattern.copy(0, bytes, 0, length);
        return bytes;
    }

    @Test
    void shouldProxyEveryMethodOnOneKeepAliveConnection() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            for (final String method : new String[] {"GET", "DELETE", "OPTIONS", "POST", "PUT", "PATCH"}) {
                http.send(method + " / HTTP/1.1\r\nHost: weir\r\nContent-Length: 0\r\n\r\n");
                final RawHttp.Response response = http.read(false);
                assertEquals(200, response.status, method + ": " + response.head);
                assertEquals(ROOT_BODY, response.text(), method);
            }
            for (final String method : new String[] {"POST", "PUT", "PATCH", "DELETE"}) {
                final String body = method + " body, echoed";
                http.send(method + " /echo HTTP/1.1\r\nHost: weir\r\nContent-Length: " + body.length() + "\r\n\r\n"
                    + body);
                final RawHttp.Response response = http.read(false);
                assertEquals(200, response.status, method + ": " + response.head);
                assertEquals(body, response.text(), method);
            }
        }
        assertEquals(1, weir.pipeline().stageCounters().get(0).accepted(), "one client connection for all");
    }

    @Test
    void shouldProxyEveryMethodFromTheJdkClient() throws Exception {
        for (final String method : new String[] {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
            final HttpResponse<String> response = weir.client().send(HttpRequest.newBuilder(weir.uri("/"))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), method);
            assertEquals("HEAD".equals(method) ? "" : ROOT_BODY, response.body(), method);
        }
    }

    @Test
    void shouldAnswerHeadWithTheFieldsOfGetAndNoBody() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET /bytes/1000 HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response get = http.read(false);
            http.send("HEAD /bytes/1000 HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response head = http.read(true);
            assertEquals(200, head.status, head.head);
            assertEquals("1000", head.headers.get("content-length"), head.head);
            assertEquals(get.headers.get("content-length"), head.headers.get("content-length"));
            http.send("HEAD /chunked/1000 HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response chunkedHead = http.read(true);
            assertEquals(200, chunkedHead.status, chunkedHead.head);
            assertEquals("chunked", chunkedHead.headers.get("transfer-encoding"), chunkedHead.head);
            // Had a body followed either HEAD, this would read it instead of the next answer.
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response next = http.read(false);
            assertEquals(200, next.status, next.head);
            assertEquals(ROOT_BODY, next.text());
        }
    }

    @Test
    void shouldEchoContentLengthUploadWithContentLength() throws Exception {
        final byte[] body = pattern(100 * 1024 + 17);
        final HttpResponse<byte[]> response = weir.client().send(HttpRequest.newBuilder(weir.uri("/echo"))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals(String.valueOf(body.length), response.headers().firstValue("content-length").orElse(null));
        assertArrayEquals(body, response.body());
    }

    @Test
    void shouldEchoChunkedUploadAsChunked() throws Exception {
        final byte[] body = pattern(50_000);
        final ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes("POST /echo HTTP/1.1\r\nHost: weir\r\nTransfer-Encoding: chunked\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        // Odd chunk sizes, one with an extension, so no chunk lines up with a block.
        int offset = 0;
        for (int i = 0; offset < body.length; i++) {
            final int n = Math.min(body.length - offset, 1 + i * 997);
            request.writeBytes((Integer.toHexString(n) + (i == 3 ? ";ext=1" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            request.write(body, offset, n);
            request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            offset += n;
        }
        request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send(request.toByteArray());
            final RawHttp.Response response = http.read(false);
            assertEquals(200, response.status, response.head);
            assertEquals("chunked", response.headers.get("transfer-encoding"), response.head);
            assertNull(response.headers.get("content-length"), response.head);
            assertArrayEquals(body, response.body);
        }
    }

    @Test
    void shouldStreamChunkedUploadOfUnknownLengthFromTheJdkClient() throws Exception {
        final int length = 2 * 1024 * 1024 + 3;
        final PatternInputStream upload = new PatternInputStream(length);
        // ofInputStream has no length, so the client sends it chunked.
        final HttpResponse<String> response = weir.client().send(HttpRequest.newBuilder(weir.uri("/sha256"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> upload)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("length=" + length + " sha256=" + upload.sha256Hex() + "\n", response.body());
    }

    @Test
    void shouldStreamChunkedDownload() throws Exception {
        final int length = 1_000_003;
        final HttpResponse<byte[]> response = weir.client().send(HttpRequest.newBuilder(
            weir.uri("/chunked/" + length)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals("chunked", response.headers().firstValue("transfer-encoding").orElse(null));
        assertEquals(length, response.body().length);
        assertEquals(-1, BodyPattern.mismatch(response.body(), 0, length, 0));
    }

    @Test
    void shouldAppendForwardedForAndDropHopByHopFields() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET /headers HTTP/1.1\r\nHost: weir\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n"
                + "Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\n"
                + "X-Forwarded-For: 203.0.113.7\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            assertEquals(200, response.status, response.head);
            final String seen = response.text();
            assertTrue(seen.startsWith("GET /headers HTTP/1.1\r\n"), seen);
            assertTrue(seen.contains("\r\nHost: weir\r\n"), seen);
            assertTrue(seen.contains("\r\nX-Kept: yes\r\n"), seen);
            assertTrue(seen.contains("\r\nX-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"), seen);
            for (final String hop : new String[] {"Connection:", "X-Hop", "Keep-Alive", "TE:", "Proxy-Connection"}) {
                assertFalse(seen.contains(hop), hop + " reached the origin: " + seen);
            }
            http.send("GET /headers HTTP/1.1\r\nHost: weir\r\n\r\n");
            final String second = http.read(false).text();
            assertTrue(second.contains("\r\nX-Forwarded-For: 127.0.0.1\r\n"), second);
        }
    }

    @Test
    void shouldAnswerPipelinedRequestsInOrder() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET /bytes/10 HTTP/1.1\r\nHost: weir\r\n\r\n"
                + "GET /chunked/20000 HTTP/1.1\r\nHost: weir\r\n\r\n"
                + "HEAD /bytes/30 HTTP/1.1\r\nHost: weir\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: weir\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /nothing-here HTTP/1.1\r\nHost: weir\r\n\r\n"
                + "GET /bytes/40000 HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response first = http.read(false);
            assertArrayEquals(pattern(10), first.body, first.head);
            final RawHttp.Response second = http.read(false);
            assertArrayEquals(pattern(20000), second.body, second.head);
            final RawHttp.Response third = http.read(true);
            assertEquals("30", third.headers.get("content-length"), third.head);
            final RawHttp.Response fourth = http.read(false);
            assertEquals("hello", fourth.text(), fourth.head);
            final RawHttp.Response fifth = http.read(false);
            assertEquals(404, fifth.status, fifth.head);
            final RawHttp.Response sixth = http.read(false);
            assertArrayEquals(pattern(40000), sixth.body, sixth.head);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: weir\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: weir\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: weir\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : weir\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: weir\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
    })
    void shouldAnswerMalformedRequestWith400AndClose(final String request) throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send(request);
            final RawHttp.Response response = http.read(false);
            assertEquals(400, response.status, response.head);
            assertEquals("close", response.headers.get("connection"), response.head);
            assertEquals(0, http.readUntilClose().length, "nothing after the 400, then close");
        }
    }

    @Test
    void shouldAnswerMalformedChunkWith400() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("POST /echo HTTP/1.1\r\nHost: weir\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n");
            final String answer = new String(http.readUntilClose(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), "a bad chunk size is refused: " + answer);
        }
    }

    @Test
    void shouldAnswerOversizedHeadWith431() throws Exception {
        final int parseBuffer = weir.pipeline().config().parseBufferBytes();
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET / HTTP/1.1\r\nHost: weir\r\nX-Big: " + "x".repeat(parseBuffer) + "\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            assertEquals(431, response.status, response.head);
            assertEquals(0, http.readUntilClose().length, "nothing after the 431, then close");
        }
    }

    @Test
    void shouldAnswer502WhenTheOriginIsDown() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", WeirExtension.deadPort()));
        final HttpResponse<String> response = weir.client().send(HttpRequest.newBuilder(java.net.URI.create(
            "http://127.0.0.1:" + pipeline.listenAddress().getPort() + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(502, response.statusCode());
    }

    @Test
    void shouldAnswer503AfterTheQueueTimeoutWhenEverySlotIsTakenAndServeAgainOnceOneIsFree() throws Exception {
        // The third connection waits in the listen backlog for a slot, then is shed after the queue timeout.
        final Pipeline pipeline = weir.start(config -> config.connections(2).acceptQueueTimeoutMs(200));
        final int port = pipeline.listenAddress().getPort();
        try (RawHttp a = new RawHttp(port); RawHttp b = new RawHttp(port)) {
            for (final RawHttp held : new RawHttp[] {a, b}) {
                // Part of a head: a request under way holds its slot (an idle connection would give it up).
                held.send("GET / HTTP/1.1\r\nHost: weir\r\n");
            }
            try (RawHttp c = new RawHttp(port)) {
                final RawHttp.Response refused = c.read(false);
                assertEquals(503, refused.status, refused.head);
                assertEquals(0, c.readUntilClose().length, "closed after the 503");
            }
            assertEquals(1, pipeline.rejectedConnections());
        }
        WeirExtension.awaitIdle(pipeline);
        try (RawHttp d = new RawHttp(port)) {
            d.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, d.read(false).status, "served once the held connections left");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/garbage", "/close"})
    void shouldAnswer502WhenTheOriginMisbehaves(final String path) throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET " + path + " HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            assertEquals(502, response.status, response.head);
        }
        // The origin connection it broke is not reused for the next request.
        final HttpResponse<String> next = weir.client().send(HttpRequest.newBuilder(weir.uri("/")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, next.statusCode());
        assertEquals(ROOT_BODY, next.body());
    }

    @Test
    void shouldResetTheClientConnectionWhenTheOriginClosesMidBody() throws Exception {
        final int promised = 100_000;
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET /close-mid-body/" + promised + " HTTP/1.1\r\nHost: weir\r\n\r\n");
            final IOException early = assertThrows(IOException.class, () -> http.read(false));
            assertTrue(early.getMessage().contains("reset"), "a reset, never a clean end: " + early.getMessage());
        }
        try (Socket socket = new Socket("127.0.0.1", weir.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /close-mid-body/" + promised + " HTTP/1.1\r\nHost: weir\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final byte[] chunk = new byte[8192];
            // A truncated body must never end in a clean close: the client connection is reset.
            final SocketException reset = assertThrows(SocketException.class, () -> {
                for (int n; (n = socket.getInputStream().read(chunk)) >= 0; ) {
                    received.write(chunk, 0, n);
                }
            });
            assertTrue(reset.getMessage().contains("reset"), reset.toString());
            final byte[] all = received.toByteArray();
            final String text = new String(all, StandardCharsets.ISO_8859_1);
            final int bodyStart = text.indexOf("\r\n\r\n") + 4;
            if (bodyStart > 3) {
                assertTrue(text.startsWith("HTTP/1.1 200 ") && text.contains("Content-Length: " + promised), text);
                final int body = all.length - bodyStart;
                assertTrue(body < promised, "reset before the promised length: " + body);
                assertEquals(-1, BodyPattern.mismatch(all, bodyStart, body, 0), "the bytes that came are right");
            }
        }
        final IOException fromClient = assertThrows(IOException.class, () -> weir.client().send(
            HttpRequest.newBuilder(weir.uri("/close-mid-body/" + promised)).build(),
            HttpResponse.BodyHandlers.ofByteArray()));
        assertTrue(fromClient.getMessage() != null, String.valueOf(fromClient));
    }
}
