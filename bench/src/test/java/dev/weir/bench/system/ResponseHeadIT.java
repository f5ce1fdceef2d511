package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.stage.Pipeline;

/**
 * Response heads are rebuilt, not copied (RFC 9110 7.6.1, RFC 9112 6.3): raw clients against a scripted origin
 * that sends exactly the bytes under test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResponseHeadIT {

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private int proxyFor(final String response, final boolean keep) throws IOException {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(response, keep)));
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port()));
        return pipeline.listenAddress().getPort();
    }

    /** @return everything the client receives until the proxy closes the connection. */
    private static RawHttp.End exchange(final int port, final String request) throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            http.socket().setSoTimeout(10_000);
            http.send(request);
            return http.readToEnd();
        }
    }

    @Test
    void shouldDropHopByHopFieldsAndTheFieldsTheOriginsConnectionNames() throws Exception {
        final int port = proxyFor("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cret\r\n"
            + "Keep-Alive: timeout=99\r\nProxy-Connection: keep-alive\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\n"
            + "X-Kept: yes\r\nContent-Length: 2\r\n\r\nok", true);
        try (RawHttp http = new RawHttp(port)) {
            for (int i = 0; i < 2; i++) {
                http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
                final RawHttp.Response response = http.read(false);
                assertEquals(200, response.status, response.head);
                assertEquals("ok", response.text());
                assertEquals("yes", response.headers.get("x-kept"), response.head);
                for (final String dropped : new String[] {"x-secret", "keep-alive", "proxy-connection", "trailer",
                    "upgrade", "connection"}) {
                    assertNull(response.headers.get(dropped), dropped + " in " + response.head);
                }
                assertTrue(response.head.startsWith("HTTP/1.1 200 OK\r\n"), response.head);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\nX-A: b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX A: b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\n folded: b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    })
    void shouldAnswer502ForAResponseHeadItCannotRelaySafely(final String response) throws Exception {
        final RawHttp.End end = exchange(proxyFor(response, false), "GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
        assertTrue(end.text().startsWith("HTTP/1.1 502 "), end.toString());
        assertFalse(end.text().contains("\r\n\r\nok"), "nothing of the origin's response: " + end);
    }

    @Test
    void shouldAnswer502ForAHeadLargerThanTheResponseBlock() throws Exception {
        final String big = "X-Big: " + "b".repeat(20_000) + "\r\n";
        final RawHttp.End end = exchange(proxyFor("HTTP/1.1 200 OK\r\n" + big + "Content-Length: 2\r\n\r\nok", false),
            "GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
        assertTrue(end.text().startsWith("HTTP/1.1 502 "), end.toString());
    }

    @Test
    void shouldDecodeAChunkedBodyForAnHttp10ClientAndCloseAfterIt() throws Exception {
        final RawHttp.End end = exchange(proxyFor("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n", true), "GET / HTTP/1.0\r\n\r\n");
        assertEquals(RawHttp.End.EOF, end.kind, end.toString());
        final String text = end.text();
        assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
        assertFalse(text.toLowerCase().contains("transfer-encoding"), text);
        assertTrue(text.contains("Connection: close\r\n"), text);
        assertTrue(text.endsWith("\r\n\r\nhello world"), text);
    }

    /**
     * The same decoding when a read holds framing alone (the CRLF after a chunk's data, then a size line): the
     * framing the decoder consumed is not decoded a second time with the next read.
     */
    @Test
    void shouldDecodeAChunkedBodyForAnHttp10ClientWhenAReadHoldsOnlyFraming() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.rawInPieces(100,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", "\r\n", "6\r\n", " world\r\n",
            "0\r\n\r\n")));
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port()));
        final RawHttp.End end = exchange(pipeline.listenAddress().getPort(), "GET / HTTP/1.0\r\n\r\n");
        assertEquals(RawHttp.End.EOF, end.kind, end.toString());
        assertTrue(end.text().endsWith("\r\n\r\nhello world"), end.text());
    }

    @Test
    void shouldTellAnHttp10ClientThatItsConnectionIsKept() throws Exception {
        final int port = proxyFor("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true);
        try (RawHttp http = new RawHttp(port)) {
            for (int i = 0; i < 2; i++) {
                http.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                final RawHttp.Response response = http.read(false);
                assertEquals("keep-alive", response.headers.get("connection"), response.head);
                assertEquals("ok", response.text());
            }
        }
    }

    @Test
    void shouldRelayACloseDelimitedBodyToAnHttp11ClientThenClose() throws Exception {
        final RawHttp.End end = exchange(proxyFor("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", false),
            "GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
        assertEquals(RawHttp.End.EOF, end.kind, end.toString());
        assertTrue(end.text().contains("Connection: close\r\n"), end.toString());
        assertTrue(end.text().endsWith("\r\n\r\nall of it"), end.toString());
    }

    @Test
    void shouldRelayInterimResponsesToAnHttp11ClientAndDropThemForHttp10() throws Exception {
        final String origin = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nConnection: x\r\n\r\n"
            + "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        final int port = proxyFor(origin, false);
        // The origin's "Connection: close" is about its own connection; the client's close asks for this one's.
        final RawHttp.End to11 = exchange(port, "GET / HTTP/1.1\r\nHost: weir\r\nConnection: close\r\n\r\n");
        assertEquals("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", to11.text());
        final RawHttp.End to10 = exchange(port, "GET / HTTP/1.0\r\n\r\n");
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", to10.text());
    }

    @Test
    void shouldNeverSend100ContinueToAnHttp10Client() throws Exception {
        final int port = proxyFor("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
        try (RawHttp http = new RawHttp(port)) {
            http.socket().setSoTimeout(10_000);
            http.send("POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            // The body follows without waiting: a 1.0 client knows no 100; the first answer must be the final one.
            http.send("abc");
            final RawHttp.End end = http.readToEnd();
            assertTrue(end.text().startsWith("HTTP/1.1 200 OK\r\n"), end.toString());
        }
    }

    @Test
    void shouldSend100ContinueToAnHttp11ClientThatExpectsIt() throws Exception {
        final int port = proxyFor("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
        try (RawHttp http = new RawHttp(port)) {
            http.socket().setSoTimeout(10_000);
            http.send("POST / HTTP/1.1\r\nHost: weir\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            final byte[] interim = http.socket().getInputStream().readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(interim, StandardCharsets.ISO_8859_1));
            http.send("abc");
            assertEquals(200, http.read(false).status);
        }
    }
}
