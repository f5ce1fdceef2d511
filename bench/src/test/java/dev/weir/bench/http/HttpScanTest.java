package dev.weir.bench.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpScanTest {

    private final HttpHead head = new HttpHead();

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void shouldParseMethodPathAndFraming() {
        final byte[] b = bytes("POST /echo?x=1 HTTP/1.1\r\nHost: a\r\ncontent-length:  12 \r\n\r\nbody");
        assertEquals(b.length - 4, HttpScan.parseRequest(b, 0, b.length, head));
        assertEquals(HttpHead.METHOD_POST, head.method());
        assertEquals("/echo", new String(b, head.targetStart(), head.pathEnd() - head.targetStart(),
            StandardCharsets.US_ASCII));
        assertEquals(12, head.contentLength());
        assertTrue(head.keepAlive());
    }

    @Test
    void shouldNeedMoreUntilTheBlankLineArrives() {
        final byte[] b = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        for (int end = 0; end < b.length; end++) {
            assertEquals(HttpScan.NEED_MORE, HttpScan.parseRequest(b, 0, end, head));
        }
    }

    @Test
    void shouldHonourConnectionCloseAndHttp10() {
        final byte[] close = bytes("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        HttpScan.parseRequest(close, 0, close.length, head);
        assertFalse(head.keepAlive());
        final byte[] old = bytes("GET / HTTP/1.0\r\n\r\n");
        HttpScan.parseRequest(old, 0, old.length, head);
        assertFalse(head.keepAlive());
    }

    @Test
    void shouldParseAChunkedResponseAndRejectGarbage() {
        final byte[] r = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertEquals(r.length, HttpScan.parseResponse(r, 0, r.length, head));
        assertEquals(200, head.status());
        assertTrue(head.chunked());
        final byte[] g = bytes("THIS IS NOT HTTP");
        assertEquals(HttpScan.BAD, HttpScan.parseResponse(g, 0, g.length, head));
    }

    @Test
    void shouldRejectConflictingContentLengths() {
        final byte[] b = bytes("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assertEquals(HttpScan.BAD, HttpScan.parseRequest(b, 0, b.length, head));
    }
}
