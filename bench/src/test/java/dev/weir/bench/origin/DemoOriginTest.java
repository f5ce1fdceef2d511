package dev.weir.bench.origin;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DemoOriginTest {

    private static DemoOrigin origin;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, 2);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
            .build();
    }

    @AfterAll
    static void stop() {
        origin.close();
    }

    private static URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + origin.port() + path);
    }

    private static HttpResponse<byte[]> get(final String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertPattern(final byte[] body, final int expectedLength) {
        assertEquals(expectedLength, body.length);
        assertEquals(-1, BodyPattern.mismatch(body, 0, body.length, 0), "first wrong byte");
    }

    @Test
    void shouldAnswerRootWithTheHelloBody() throws Exception {
        final HttpResponse<byte[]> r = get("/");
        assertEquals(200, r.statusCode());
        assertEquals(DemoOrigin.ROOT_BODY, new String(r.body(), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldServeExactPatternBytesWithContentLength() throws Exception {
        for (final int n : new int[] {0, 1, 61, 128, 16384, 65536, 1_000_003}) {
            final HttpResponse<byte[]> r = get("/bytes/" + n);
            assertEquals(200, r.statusCode());
            assertEquals(Long.toString(n), r.headers().firstValue("content-length").orElseThrow());
            assertPattern(r.body(), n);
        }
    }

    @Test
    void shouldServeTheSamePatternChunked() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /chunked/100000 HTTP/1.1\r\nHost: t\r\n\r\n");
            final RawHttp.Response r = c.read(false);
            assertEquals("chunked", r.headers.get("transfer-encoding"));
            assertNull(r.headers.get("content-length"));
            assertPattern(r.body, 100_000);
            c.send("GET /chunked/0 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertPattern(c.read(false).body, 0);
        }
    }

    @Test
    void shouldAnswerHeadWithTheSameHeadersAndNoBody() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("HEAD /bytes/5000 HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
            final RawHttp.Response head = c.read(true);
            assertEquals(200, head.status);
            assertEquals("5000", head.headers.get("content-length"));
            // If HEAD had sent a body, these bytes would be pattern bytes, not the next status line.
            final RawHttp.Response next = c.read(false);
            assertEquals(200, next.status);
            assertEquals(DemoOrigin.ROOT_BODY, next.text());
        }
    }

    @Test
    void shouldKeepTheConnectionAliveAcrossRequests() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            for (int i = 0; i < 100; i++) {
                c.send("GET /bytes/" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                final RawHttp.Response r = c.read(false);
                assertEquals(200, r.status);
                assertNull(r.headers.get("connection"));
                assertPattern(r.body, i);
            }
        }
    }

    @Test
    void shouldAnswerPipelinedRequestsInOrder() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
                + "\r\nabcdGET /chunked/70000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertPattern(c.read(false).body, 3);
            assertEquals("abcd", c.read(false).text());
            assertPattern(c.read(false).body, 70_000);
        }
    }

    @Test
    void shouldEchoAContentLengthBody() throws Exception {
        final byte[] body = randomBytes(300_000);
        final HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/echo"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("300000", r.headers().firstValue("content-length").orElseThrow());
        assertArrayEquals(body, r.body());
    }

    @Test
    void shouldEchoAChunkedBodyChunked() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n");
            final RawHttp.Response r = c.read(false);
            assertEquals("chunked", r.headers.get("transfer-encoding"));
            assertEquals("hello world", r.text());
        }
    }

    @Test
    void shouldAnswerTheChecksumsAndLengthOfAnUpload() throws Exception {
        final byte[] body = randomBytes(2_000_001);
        final String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        final CRC32 crc = new CRC32();
        crc.update(body);
        assertEquals("length=2000001 sha256=" + sha + "\n", post("/sha256", body));
        assertEquals(String.format("length=2000001 crc32=%08x%n", crc.getValue()), post("/crc32", body));
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("POST /sha256 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            assertEquals("length=3 sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
                c.read(false).text());
        }
    }

    private static String post(final String path, final byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void shouldReturnTheRequestHeadVerbatim() throws Exception {
        final String head = "GET /headers?x=1 HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.0.0.1\r\n"
            + "Connection: keep-alive\r\nkeep-alive: 5\r\n\r\n";
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send(head);
            assertEquals(head, c.read(false).text());
        }
    }

    @Test
    void shouldAcceptEveryMethodOnRootAndEcho() throws Exception {
        for (final String method : List.of("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD")) {
            for (final String path : List.of("/", "/echo")) {
                final HttpRequest.BodyPublisher body = "GET".equals(method) || "HEAD".equals(method)
                    ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("x");
                final HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri(path)).method(method, body)
                    .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), method + " " + path);
                if ("HEAD".equals(method)) {
                    assertEquals("", r.body());
                }
            }
        }
    }

    @Test
    void shouldDelayOneConnectionWithoutBlockingOthers() throws Exception {
        try (RawHttp slow = new RawHttp(origin.port()); RawHttp fast = new RawHttp(origin.port())) {
            final long t0 = System.nanoTime();
            slow.send("GET /delay/600 HTTP/1.1\r\nHost: t\r\n\r\n");
            fast.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, fast.read(false).status);
            final long fastMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(200, slow.read(false).status);
            final long slowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(slowMs >= 600, "answered after " + slowMs + " ms");
            assertTrue(fastMs < slowMs, "the fast request waited for the slow one");
        }
    }

    @Test
    void shouldCloseHalfWayThroughTheBody() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /close-mid-body/10000 HTTP/1.1\r\nHost: t\r\n\r\n");
            final String all = new String(c.readUntilClose(), StandardCharsets.ISO_8859_1);
            final int bodyStart = all.indexOf("\r\n\r\n") + 4;
            assertTrue(all.contains("Content-Length: 10000\r\n"));
            assertEquals(5000, all.length() - bodyStart);
        }
    }

    @Test
    void shouldSendGarbageThenClose() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /garbage HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(DemoOrigin.GARBAGE, new String(c.readUntilClose(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void shouldCloseWithoutAnswering() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /close HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(0, c.readUntilClose().length);
        }
    }

    @Test
    void shouldAnswerErrorsAndClose() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(404, c.read(false).status);
        }
        for (final String bad : List.of("BREW / HTTP/1.1\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
            "GET /bytes/x HTTP/1.1\r\n\r\n", "POST /sha256 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")) {
            try (RawHttp c = new RawHttp(origin.port())) {
                c.send(bad);
                final RawHttp.Response r = c.read(false);
                assertTrue(r.status == 400 || r.status == 501, bad + " -> " + r.status);
                assertEquals("close", r.headers.get("connection"));
            }
        }
    }

    @Test
    void shouldCutTheEchoShortWhenTheChunkedBodyIsMalformed() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n");
            final String all = new String(c.readUntilClose(), StandardCharsets.ISO_8859_1);
            assertTrue(all.startsWith("HTTP/1.1 200 OK\r\n"), all);
            assertTrue(all.endsWith("\r\n\r\n2\r\nok\r\n"), "no last chunk after a bad one: " + all);
        }
    }

    @Test
    void shouldCloseAfterAnHttp10Request() throws Exception {
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET / HTTP/1.0\r\n\r\n");
            assertEquals("close", c.read(false).headers.get("connection"));
            assertEquals(0, c.readUntilClose().length);
        }
    }

    private static byte[] randomBytes(final int n) {
        final byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }
}
