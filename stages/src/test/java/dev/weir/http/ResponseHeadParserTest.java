package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ResponseHeadParser} and {@link ResponseHead}: status, head length, body framing and reuse.
 */
class ResponseHeadParserTest {

    private static final int CAPACITY = 4096;
    private static final long BASE = 512;

    private final ResponseHeadParser parser = new ResponseHeadParser();
    private final ResponseHead head = new ResponseHead();
    private BytesStore<?, ?> store;

    @BeforeEach
    void allocate() {
        store = BytesStore.nativeStoreWithFixedCapacity(64 * 1024);
    }

    @AfterEach
    void release() {
        store.releaseLast();
    }

    private int parse(final String text) {
        final int length = TestBytes.write(store, BASE, text);
        head.reset();
        return parser.parse(store, BASE, length, CAPACITY, head);
    }

    private static String ok(final String fields) {
        return "HTTP/1.1 200 OK\r\n" + fields + "\r\n";
    }

    @Test
    void shouldReadStatusHeadLengthAndContentLength() {
        final String head1 = ok("Server: demo\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n");
        assertEquals(ParseStatus.COMPLETE, parse(head1 + "hello world!"));
        assertEquals(200, head.status());
        assertEquals(head1.length(), head.headLength());
        assertEquals(12, head.contentLength());
        assertEquals(ResponseHead.FRAMING_LENGTH, head.framing(RequestHead.GET));
        assertTrue(head.isReusable());
    }

    @Test
    void shouldReadChunkedFraming() {
        assertEquals(ParseStatus.COMPLETE, parse(ok("Transfer-Encoding: chunked\r\n")));
        assertEquals(ResponseHead.FRAMING_CHUNKED, head.framing(RequestHead.GET));
        assertTrue(head.isReusable());
    }


    @Test
    void shouldReadUntilCloseWithoutLengthOrCoding() {
        assertEquals(ParseStatus.COMPLETE, parse("HTTP/1.0 200 OK\r\n\r\n"));
        assertEquals(ResponseHead.FRAMING_CLOSE, head.framing(RequestHead.GET));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "chunked, gzip", "chunked;q=1", "gzip, chunked,"})
    void shouldReadUntilCloseAndNotReuseWhenChunkedIsNotTheFinalCoding(final String coding) {
        assertEquals(ParseStatus.COMPLETE, parse(ok("Transfer-Encoding: " + coding + "\r\n")));
        assertEquals(ResponseHead.FRAMING_CLOSE, head.framing(RequestHead.GET));
        assertEquals(RequestHead.NO_CONTENT_LENGTH, head.contentLength());
        assertFalse(head.isReusable());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "Content-Length: 3\r\nTransfer-Encoding: gzip\r\n"})
    void shouldRefuseAResponseWithBothContentLengthAndTransferEncoding(final String fields) {
        assertEquals(ParseStatus.BAD_RESPONSE, parse(ok(fields)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 200 O\u0000K\r\n\r\n", "HTTP/1.1 200 O\rK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\n\r\n", "HTTP/1.1 200 OK\r\nX-A: a\u007fb\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX A: b\r\n\r\n", "HTTP/1.1 200 OK\r\n X-A: b\r\n\r\n"})
    void shouldRefuseControlBytesBadStatusLinesAndBadFieldNames(final String response) {
        assertEquals(ParseStatus.BAD_RESPONSE, parse(response));
    }

    @Test
    void shouldAcceptAStatusLineWithoutReason() {
        assertEquals(ParseStatus.COMPLETE, parse("HTTP/1.1 204\r\n\r\n"));
        assertEquals(204, head.status());
    }

    @Test
    void shouldReadChunkedWhenChunkedIsTheFinalCoding() {
        assertEquals(ParseStatus.COMPLETE, parse(ok("Transfer-Encoding: gzip ,  Chunked \r\n")));
        assertEquals(ResponseHead.FRAMING_CHUNKED, head.framing(RequestHead.GET));
        assertTrue(head.isReusable());
    }

    @Test
    void shouldReadUntilCloseWhenTransferEncodingIsRepeated() {
        assertEquals(ParseStatus.COMPLETE, parse(ok("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")));
        assertEquals(ResponseHead.FRAMING_CLOSE, head.framing(RequestHead.GET));
        assertFalse(head.isReusable());
    }

    @Test
    void shouldHaveNoBodyForHeadRequest() {
        assertEquals(ParseStatus.COMPLETE, parse(ok("Content-Length: 1000\r\n")));
        assertEquals(ResponseHead.FRAMING_NONE, head.framing(RequestHead.HEAD));
    }

    @ParameterizedTest
    @ValueSource(strings = {"100 Continue", "101 Switching Protocols", "103 Early Hints", "204 No Content",
        "304 Not Modified"})
    void shouldHaveNoBodyForInformationalNoContentAndNotModified(final String statusAndReason) {
        assertEquals(ParseStatus.COMPLETE,
            parse("HTTP/1.1 " + statusAndReason + "\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertEquals(Integer.parseInt(statusAndReason.substring(0, 3)), head.status());
        assertEquals(ResponseHead.FRAMING_NONE, head.framing(RequestHead.GET));
    }

    @Test
    void shouldNotReuseHttp11ConnectionWithCloseToken() {
        assertEquals(ParseStatus.COMPLETE, parse(ok("Connection: foo, Close\r\nContent-Length: 0\r\n")));
        assertFalse(head.isReusable());
    }

    @Test
    void shouldNotReuseHttp10ConnectionByDefault() {
        assertEquals(ParseStatus.COMPLETE, parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assertFalse(head.isReusable());
    }

    @Test
    void shouldReuseHttp10ConnectionWithKeepAlive() {
        assertEquals(ParseStatus.COMPLETE,
            parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
        assertTrue(head.isReusable());
    }

    @Test
    void shouldAcceptEmptyReasonAndEqualContentLengths() {
        assertEquals(ParseStatus.COMPLETE, parse("HTTP/1.1 404 \r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"));
        assertEquals(404, head.status());
        assertEquals(3, head.contentLength());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.2 200 OK\r\n\r\n",
        "HTTX/1.1 200 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 20\r\n\r\n",
        "\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\nContent-Length: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rContent-Length: 5\r\nContent-Length: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
        "HTTP/1.1 200 OK\rContent-Length: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
    })
    void shouldRejectMalformedResponseHead(final String text) {
        assertEquals(ParseStatus.BAD_RESPONSE, parse(text));
    }

    @Test
    void shouldReportBadResponseWhenTheHeadFillsTheCapacity() {
        final int length = TestBytes.write(store, BASE, "HTTP/1.1 200 OK\r\nX-Big: " + "b".repeat(CAPACITY));
        assertTrue(length > CAPACITY);
        assertEquals(ParseStatus.NEED_MORE, parser.parse(store, BASE, CAPACITY - 1, CAPACITY, head));
        assertEquals(ParseStatus.BAD_RESPONSE, parser.parse(store, BASE, CAPACITY, CAPACITY, head));
    }

    @Test
    void shouldNeedMoreUntilTheHeadEndsAtEveryByteBoundary() {
        final String text = ok("Content-Length: 5\r\nConnection: close\r\n");
        final int length = TestBytes.write(store, BASE, text + "hello");
        for (int split = 0; split < text.length(); split++) {
            head.reset();
            for (int seen = split; seen < text.length(); seen++) {
                assertEquals(ParseStatus.NEED_MORE, parser.parse(store, BASE, seen, CAPACITY, head), "seen " + seen);
            }
            assertEquals(ParseStatus.COMPLETE, parser.parse(store, BASE, length, CAPACITY, head), "split " + split);
            assertEquals(text.length(), head.headLength());
            assertEquals(5, head.contentLength());
            assertFalse(head.isReusable());
        }
    }
}
