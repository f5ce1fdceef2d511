package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RequestHeadParser}: what a valid head parses to, that it resumes across partial reads, and that every
 * framing ambiguity a smuggler could use is refused with the right status.
 */
class RequestHeadParserTest {

    private static final int STORE_SIZE = 64 * 1024;
    private static final int CAPACITY = 16 * 1024;

    private static final String BROWSER_GET = "GET /index.html?q=1 HTTP/1.1\r\n"
        + "Host: www.example.com\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        + "Accept-Language: en-GB,en;q=0.5\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Connection: keep-alive\r\n"
        + "Cookie: session=abc123; theme=dark\r\n"
        + "Upgrade-Insecure-Requests: 1\r\n"
        + "Sec-Fetch-Dest: document\r\n"
        + "\r\n";

    private final RequestHeadParser parser = new RequestHeadParser();
    private final RequestHead head = new RequestHead();
    private BytesStore<?, ?> store;

    @BeforeEach
    void allocate() {
        store = BytesStore.nativeStoreWithFixedCapacity(STORE_SIZE);
    }

    @AfterEach
    void release() {
        store.releaseLast();
    }

    private int parse(final String text) {
        return parseAt(0, text, CAPACITY);
    }

    private int parseAt(final long base, final String text, final int capacity) {
        final int length = TestBytes.write(store, base, text);
        head.reset();
        return parser.parse(store, base, length, capacity, head);
    }

    private String target(final long base) {
        return TestBytes.read(store, base + head.targetStart(), head.targetLength());
    }

    private String name(final long base, final int i) {
        return TestBytes.read(store, base + head.nameStart(i), head.nameLength(i));
    }

    private String value(final long base, final int i) {
        return TestBytes.read(store, base + head.valueStart(i), head.valueLength(i));
    }

    private static String withHost(final String requestLine, final String fields) {
        return requestLine + "\r\nHost: a\r\n" + fields + "\r\n";
    }

    @Test
    void shouldParseTypicalBrowserGet() {
        assertEquals(ParseStatus.COMPLETE, parse(BROWSER_GET));

        assertEquals(RequestHead.GET, head.method());
        assertEquals(11, head.version());
        assertEquals(0, head.start());
        assertEquals(BROWSER_GET.length(), head.headLength());
        assertEquals("/index.html?q=1", target(0));
        assertEquals(BROWSER_GET.indexOf('\r'), head.requestLineEnd());
        assertEquals(9, head.headerCount());
        assertEquals("Host", name(0, 0));
        assertEquals("www.example.com", value(0, 0));
        assertEquals(HeaderNames.HOST, head.headerId(0));
        assertEquals("Accept-Encoding", name(0, 4));
        assertEquals("gzip, deflate, br, zstd", value(0, 4));
        assertEquals(HeaderNames.OTHER, head.headerId(4));
        assertEquals(HeaderNames.CONNECTION, head.headerId(5));
        assertEquals("Sec-Fetch-Dest", name(0, 8));
        assertEquals("document", value(0, 8));
        assertTrue(head.isKeepAlive());
        assertFalse(head.isChunked());
        assertFalse(head.hasBody());
        assertFalse(head.expectsContinue());
        assertEquals(RequestHead.NO_CONTENT_LENGTH, head.contentLength());
    }

    @ParameterizedTest
    @CsvSource({"GET, 1", "HEAD, 2", "POST, 3", "PUT, 4", "DELETE, 5", "OPTIONS, 6", "PATCH, 7"})
    void shouldRecogniseEveryRelayedMethod(final String method, final int id) {
        assertEquals(ParseStatus.COMPLETE, parse(withHost(method + " / HTTP/1.1", "")));
        assertEquals(id, head.method());
    }

    @ParameterizedTest
    @ValueSource(strings = {"CONNECT", "TRACE", "BREW", "get", "POSTS", "PRI"})
    void shouldAnswerNotImplementedToUnknownMethod(final String method) {
        assertEquals(ParseStatus.NOT_IMPLEMENTED, parse(withHost(method + " / HTTP/1.1", "")));
    }

    @Test
    void shouldRejectMethodLongerThanLimit() {
        final String method = "X".repeat(RequestHeadParser.DEFAULT_MAX_METHOD_LENGTH + 1);
        assertEquals(ParseStatus.BAD_REQUEST, parse(withHost(method + " / HTTP/1.1", "")));
    }

    @Test
    void shouldKeepAliveByDefaultInHttp11() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("GET / HTTP/1.1", "")));
        assertTrue(head.isKeepAlive());
    }

    @Test
    void shouldCloseByDefaultInHttp10() {
        assertEquals(ParseStatus.COMPLETE, parse("GET / HTTP/1.0\r\n\r\n"));
        assertEquals(10, head.version());
        assertFalse(head.isKeepAlive());
    }

    @Test
    void shouldKeepAliveInHttp10WhenKeepAliveIsListed() {
        assertEquals(ParseStatus.COMPLETE, parse("GET / HTTP/1.0\r\nConnection: foo ,\tKeep-Alive , bar\r\n\r\n"));
        assertTrue(head.isKeepAlive());
    }

    @Test
    void shouldCloseInHttp11WhenCloseIsListed() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("GET / HTTP/1.1", "Connection: Upgrade,CLOSE\r\n")));
        assertFalse(head.isKeepAlive());
    }

    @Test
    void shouldCloseWhenCloseAndKeepAliveAreBothListed() {
        assertEquals(ParseStatus.COMPLETE,
            parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"));
        assertFalse(head.isKeepAlive());
    }

    @Test
    void shouldNotTakeTokenPrefixOrSuffixForClose() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("GET / HTTP/1.1", "Connection: closed, enclose\r\n")));
        assertTrue(head.isKeepAlive());
    }

    @Test
    void shouldNeedMoreUntilTheLastByteAndThenMatchOneShotParse() {
        assertResumesAtEveryBoundary(0, BROWSER_GET + "POST /next HTTP/1.1\r\n");
    }

    @Test
    void shouldResumeAtEveryBoundaryWithBodyAndNonZeroBase() {
        assertResumesAtEveryBoundary(777, withHost("POST /upload HTTP/1.1", "Content-Length: 5\r\n") + "hello");
    }

    @Test
    void shouldResumeAtEveryBoundaryAfterLeadingEmptyLines() {
        assertResumesAtEveryBoundary(0, "\r\n\r\n" + withHost("GET /after-empty-lines HTTP/1.1", "X: y\r\n"));
    }

    /** Feeds growing prefixes into one head, then compares with a one-shot parse of the whole text. */
    private void assertResumesAtEveryBoundary(final long base, final String text) {
        final int length = TestBytes.write(store, base, text);
        final RequestHead whole = new RequestHead();
        assertEquals(ParseStatus.COMPLETE, parser.parse(store, base, length, CAPACITY, whole), "one shot");
        for (int split = 0; split < whole.headLength(); split++) {
            head.reset();
            for (int seen = split; seen < whole.headLength(); seen++) {
                assertEquals(ParseStatus.NEED_MORE, parser.parse(store, base, seen, CAPACITY, head),
                    "split " + split + " seen " + seen);
            }
            assertEquals(ParseStatus.COMPLETE, parser.parse(store, base, length, CAPACITY, head), "split " + split);
            assertSameHead(whole, head);
        }
    }

    private static void assertSameHead(final RequestHead expected, final RequestHead actual) {
        assertEquals(expected.start(), actual.start());
        assertEquals(expected.headLength(), actual.headLength());
        assertEquals(expected.method(), actual.method());
        assertEquals(expected.version(), actual.version());
        assertEquals(expected.targetStart(), actual.targetStart());
        assertEquals(expected.targetLength(), actual.targetLength());
        assertEquals(expected.requestLineEnd(), actual.requestLineEnd());
        assertEquals(expected.headerCount(), actual.headerCount());
        for (int i = 0; i < expected.headerCount(); i++) {
            assertEquals(expected.nameStart(i), actual.nameStart(i));
            assertEquals(expected.nameLength(i), actual.nameLength(i));
            assertEquals(expected.valueStart(i), actual.valueStart(i));
            assertEquals(expected.valueLength(i), actual.valueLength(i));
            assertEquals(expected.headerId(i), actual.headerId(i));
        }
        assertEquals(expected.contentLength(), actual.contentLength());
        assertEquals(expected.isChunked(), actual.isChunked());
        assertEquals(expected.isKeepAlive(), actual.isKeepAlive());
        assertEquals(expected.expectsContinue(), actual.expectsContinue());
    }

    @Test
    void shouldGiveOffsetsRelativeToANonZeroBase() {
        final long base = 4093;
        store.write(0, TestBytes.bytes("garbage-before-the-block".repeat(200)));
        assertEquals(ParseStatus.COMPLETE, parseAt(base, BROWSER_GET, CAPACITY));
        assertEquals("/index.html?q=1", target(base));
        assertEquals("User-Agent", name(base, 1));
        assertEquals("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", value(base, 1));
        assertEquals(BROWSER_GET.length(), head.headLength());
        assertEquals(BROWSER_GET.indexOf('\r'), head.requestLineEnd());
    }

    @Test
    void shouldIgnoreEmptyLinesBeforeTheRequestLine() {
        final String request = withHost("GET /x HTTP/1.1", "");
        assertEquals(ParseStatus.COMPLETE, parse("\r\n\r\n" + request));
        assertEquals(4, head.start());
        assertEquals(4 + request.length(), head.headLength());
        assertEquals("/x", target(0));
        assertEquals(RequestHead.GET, head.method());
    }

    @Test
    void shouldNotCountPipelinedBytesInHeadLength() {
        final String first = withHost("GET /one HTTP/1.1", "");
        assertEquals(ParseStatus.COMPLETE, parse(first + withHost("GET /two HTTP/1.1", "")));
        assertEquals(first.length(), head.headLength());
        assertEquals("/one", target(0));
        assertEquals(1, head.headerCount());
    }

    @Test
    void shouldReportHeadTooLargeWhenTheHeadDoesNotEndWithinCapacity() {
        final String partial = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + "v".repeat(200);
        final int capacity = 128;
        final int length = TestBytes.write(store, 0, partial);
        assertEquals(ParseStatus.NEED_MORE, parser.parse(store, 0, capacity - 1, capacity, head));
        assertEquals(ParseStatus.HEAD_TOO_LARGE, parser.parse(store, 0, capacity, capacity, head));
        assertTrue(length > capacity);
    }

    @Test
    void shouldAcceptAHeadThatExactlyFillsCapacity() {
        final String request = withHost("GET / HTTP/1.1", "");
        assertEquals(ParseStatus.COMPLETE, parseAt(0, request, request.length()));
    }

    @Test
    void shouldAcceptExactlyTheMaximumNumberOfFields() {
        final String request = withHost("GET / HTTP/1.1", fields(RequestHead.DEFAULT_MAX_HEADERS - 1));
        assertEquals(ParseStatus.COMPLETE, parse(request));
        assertEquals(RequestHead.DEFAULT_MAX_HEADERS, head.headerCount());
    }

    @Test
    void shouldReportHeadTooLargeForMoreThanTheMaximumNumberOfFields() {
        final String request = withHost("GET / HTTP/1.1", fields(RequestHead.DEFAULT_MAX_HEADERS));
        assertEquals(ParseStatus.HEAD_TOO_LARGE, parse(request));
    }

    private static String fields(final int count) {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append("X-F").append(i).append(": ").append(i).append("\r\n");
        }
        return sb.toString();
    }

    @Test
    void shouldReadContentLengthWithSurroundingWhiteSpace() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("POST / HTTP/1.1", "Content-Length: \t 42 \t\r\n")));
        assertEquals(42, head.contentLength());
        assertTrue(head.hasBody());
    }

    @Test
    void shouldAcceptTwoEqualContentLengths() {
        assertEquals(ParseStatus.COMPLETE,
            parse(withHost("POST / HTTP/1.1", "Content-Length: 7\r\ncontent-length: 7\r\n")));
        assertEquals(7, head.contentLength());
    }

    @Test
    void shouldAcceptTheLongestContentLength() {
        final String digits = "9".repeat(RequestHeadParser.MAX_CONTENT_LENGTH_DIGITS);
        assertEquals(ParseStatus.COMPLETE, parse(withHost("POST / HTTP/1.1", "Content-Length: " + digits + "\r\n")));
        assertEquals(Long.parseLong(digits), head.contentLength());
    }

    @Test
    void shouldMarkChunkedBodyIgnoringCase() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("POST / HTTP/1.1", "Transfer-Encoding: Chunked\r\n")));
        assertTrue(head.isChunked());
        assertTrue(head.hasBody());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: 5, 5\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: -5\r\n",
        "Content-Length: 0x5\r\n",
        "Content-Length: 5 5\r\n",
        "Content-Length:\r\n",
        "Content-Length: 1234567890123456789\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "X: a\r\n b\r\n",
        "X: a\r\n\tb\r\n",
        " X: a\r\n",
        "Content-Length : 5\r\n",
        "X\t: a\r\n",
        ": a\r\n",
        "X a\r\n",
        "X: a\nY: b\r\n",
        "X: a\n\r\n",
        "X: a\rb\r\n",
        "X: a\u0000b\r\n",
        "X: a\u007Fb\r\n",
        "X: a\u001Bb\r\n",
        "Host: b\r\n",
        "HOST: a\r\n",
    })
    void shouldRejectAmbiguousOrMalformedFieldsAsBadRequest(final String fields) {
        assertEquals(ParseStatus.BAD_REQUEST, parse(withHost("POST / HTTP/1.1", fields)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\u00E9 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET /\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\rHost: a\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.x\r\nHost: a\r\n\r\n",
        "GET / HTTP/11\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
    })
    void shouldRejectMalformedRequestLineOrHostAsBadRequest(final String request) {
        assertEquals(ParseStatus.BAD_REQUEST, parse(request));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "gzip, chunked", "chunked, gzip", "identity", "chunked;q=1"})
    void shouldAnswerNotImplementedToTransferCodingOtherThanChunked(final String coding) {
        assertEquals(ParseStatus.NOT_IMPLEMENTED,
            parse(withHost("POST / HTTP/1.1", "Transfer-Encoding: " + coding + "\r\n")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.1"})
    void shouldAnswerVersionNotSupportedToOtherVersions(final String version) {
        assertEquals(ParseStatus.VERSION_NOT_SUPPORTED, parse(withHost("GET / " + version, "")));
    }

    @Test
    void shouldAcceptHttp10WithoutHost() {
        assertEquals(ParseStatus.COMPLETE, parse("GET / HTTP/1.0\r\n\r\n"));
        assertEquals(0, head.headerCount());
    }

    @Test
    void shouldAcceptObsTextAndInnerWhiteSpaceInValueAndTrimTheEnds() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("GET / HTTP/1.1", "X-Name:\t caf\u00E9  au\tlait \t\r\n")));
        assertEquals("caf\u00E9  au\tlait", value(0, 1));
    }

    @Test
    void shouldAcceptAnEmptyValue() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("GET / HTTP/1.1", "X-Empty:\r\nX-Blank:   \r\n")));
        assertEquals(0, head.valueLength(1));
        assertEquals(0, head.valueLength(2));
        assertEquals("X-Blank", name(0, 2));
    }

    @Test
    void shouldSetExpectsContinueIgnoringCase() {
        assertEquals(ParseStatus.COMPLETE,
            parse(withHost("POST / HTTP/1.1", "Content-Length: 3\r\nExpect: 100-Continue\r\n")));
        assertTrue(head.expectsContinue());
        assertEquals(HeaderNames.EXPECT, head.headerId(2));
    }

    @Test
    void shouldNotSetExpectsContinueForOtherExpectations() {
        assertEquals(ParseStatus.COMPLETE, parse(withHost("POST / HTTP/1.1", "Expect: 200-ok\r\n")));
        assertFalse(head.expectsContinue());
    }

    @Test
    void shouldClassifyFieldNamesIgnoringCase() {
        assertEquals(ParseStatus.COMPLETE, parse("GET / HTTP/1.1\r\nhOsT: a\r\nX-FORWARDED-FOR: 1.2.3.4\r\n"
            + "tE: trailers\r\nKEEP-alive: 5\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nX-Forwarded: no\r\n\r\n"));
        assertEquals(HeaderNames.HOST, head.headerId(0));
        assertEquals(HeaderNames.X_FORWARDED_FOR, head.headerId(1));
        assertEquals(HeaderNames.TE, head.headerId(2));
        assertEquals(HeaderNames.KEEP_ALIVE, head.headerId(3));
        assertEquals(HeaderNames.PROXY_CONNECTION, head.headerId(4));
        assertEquals(HeaderNames.UPGRADE, head.headerId(5));
        assertEquals(HeaderNames.OTHER, head.headerId(6));
    }

    @Test
    void shouldParseTheNextRequestAfterReset() {
        assertEquals(ParseStatus.COMPLETE,
            parse(withHost("POST /a HTTP/1.1", "Content-Length: 9\r\nExpect: 100-continue\r\n")));
        assertEquals(ParseStatus.COMPLETE, parse("GET /b HTTP/1.0\r\n\r\n"));
        assertEquals(RequestHead.NO_CONTENT_LENGTH, head.contentLength());
        assertFalse(head.expectsContinue());
        assertEquals(0, head.headerCount());
        assertEquals("/b", target(0));
    }
}
