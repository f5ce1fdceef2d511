package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HeaderRewriter}: what is forwarded to the origin, byte for byte, and that it never writes past the
 * destination block.
 */
class HeaderRewriterTest {

    private static final long SRC_BASE = 300;
    private static final long DST_BASE = 1000;
    private static final int GUARD_LENGTH = 64;
    private static final byte GUARD = (byte) 0xA5;
    private static final byte[] CLIENT = TestBytes.bytes("10.0.0.1 and unused bytes");
    private static final int CLIENT_LENGTH = "10.0.0.1".length();

    private final RequestHeadParser parser = new RequestHeadParser();
    /** Only X-Forwarded-For, which is always on: the fields the tests below did not ask for stay out. */
    private static final RequestPolicy PLAIN = policy(false, false, false, false);

    private RequestHead head = new RequestHead(PLAIN);
    private final HeaderRewriter rewriter = new HeaderRewriter();
    private BytesStore<?, ?> src;
    private BytesStore<?, ?> dst;

    @BeforeEach
    void allocate() {
        src = BytesStore.nativeStoreWithFixedCapacity(16 * 1024);
        dst = BytesStore.nativeStoreWithFixedCapacity(16 * 1024);
    }

    @AfterEach
    void release() {
        src.releaseLast();
        dst.releaseLast();
    }

    private static RequestPolicy policy(final boolean proto, final boolean host, final boolean forwarded,
        final boolean via) {
        return new RequestPolicy(RequestPolicy.DEFAULT_MAX_REQUEST_LINE_BYTES, RequestPolicy.DEFAULT_MAX_HEADERS, 0,
            proto, host, forwarded, via);
    }

    private String forwardedUnder(final RequestPolicy policy, final String request) {
        head = new RequestHead(policy);
        return forwarded(request);
    }

    private void parse(final String request) {
        final int length = TestBytes.write(src, SRC_BASE, request);
        head.reset();
        assertEquals(ParseStatus.COMPLETE, parser.parse(src, SRC_BASE, length, 8192, head));
    }

    /** Rewrites into a destination of {@code capacity} bytes followed by a guard, and checks the guard. */
    private int rewrite(final int capacity) {
        for (int i = 0; i < capacity + GUARD_LENGTH; i++) {
            dst.writeByte(DST_BASE + i, i < capacity ? 0 : GUARD);
        }
        final int written = rewriter.rewrite(src, SRC_BASE, head, dst, DST_BASE, capacity, CLIENT, CLIENT_LENGTH);
        for (int i = capacity; i < capacity + GUARD_LENGTH; i++) {
            assertEquals(GUARD, dst.readByte(DST_BASE + i), "guard byte " + (i - capacity) + " overwritten");
        }
        return written;
    }

    private String forwarded(final String request) {
        parse(request);
        final int written = rewrite(4096);
        return TestBytes.read(dst, DST_BASE, written);
    }

    @Test
    void shouldKeepRequestLineAndOrdinaryFieldsAndAddForwardedFor() {
        final String request = "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nCookie: a=1; b=2\r\n\r\n";
        assertEquals("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nCookie: a=1; b=2\r\n"
            + "X-Forwarded-For: 10.0.0.1\r\n\r\n", forwarded(request));
    }

    @Test
    void shouldDropHopByHopFieldsAndExpect() {
        final String request = "POST /up HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nKeep-Alive: 5\r\n"
            + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: websocket\r\nExpect: 100-continue\r\n"
            + "Content-Length: 3\r\nX-Keep: yes\r\n\r\nabc";
        assertEquals("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-Keep: yes\r\n"
            + "X-Forwarded-For: 10.0.0.1\r\n\r\n", forwarded(request));
    }

    @Test
    void shouldDropFieldsNamedInConnectionIgnoringCase() {
        final String request = "GET / HTTP/1.1\r\nX-Secret: s\r\nHost: h\r\nConnection: x-secret,\tX-Other ,close\r\n"
            + "X-Other: o\r\nX-Secret-Not: kept\r\n\r\n";
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-Secret-Not: kept\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded(request));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length", "Host", "X-Forwarded-For"})
    void shouldNeverDropFramingRoutingOrForwardingFieldsNamedInConnection(final String named) {
        final String request = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nX-Forwarded-For: 1.2.3.4\r\n"
            + "Connection: " + named + "\r\n\r\nab";
        assertEquals("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n"
            + "\r\n", forwarded(request));
    }

    @Test
    void shouldNeverDropTransferEncodingNamedInConnection() {
        final String request = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            + "Connection: Transfer-Encoding\r\n\r\n0\r\n\r\n";
        assertEquals("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded(request));
    }

    @Test
    void shouldAppendClientToTheLastForwardedForOnly() {
        final String request = "GET / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: h\r\n"
            + "x-forwarded-for: 2.2.2.2, 3.3.3.3\r\nAccept: */*\r\n\r\n";
        assertEquals("GET / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: h\r\n"
            + "x-forwarded-for: 2.2.2.2, 3.3.3.3, 10.0.0.1\r\nAccept: */*\r\n\r\n", forwarded(request));
    }

    @Test
    void shouldNormaliseWhiteSpaceAroundValuesOnly() {
        final String request = "GET / HTTP/1.1\r\nHost:h\r\nX-A:\t a \t b \t\r\n\r\n";
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-A: a \t b\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded(request));
    }

    @Test
    void shouldStartAtTheRequestLineAfterLeadingEmptyLines() {
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    // ---- rule 1: HTTP/1.1 to the origin whatever the client spoke

    @Test
    void shouldForwardHttp10AsHttp11WithAnEmptyHostWhenTheClientSentNone() {
        // RFC 9112 3.2: a request without an authority carries an empty Host; Connection stays hop-by-hop.
        assertEquals("GET /old HTTP/1.1\r\nHost: \r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    }

    @Test
    void shouldForwardHttp10AsHttp11KeepingItsHost() {
        assertEquals("GET / HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("GET / HTTP/1.0\r\nHost: a.example\r\n\r\n"));
    }

    // ---- rule 2: absolute-form in origin-form, Host from the authority

    @Test
    void shouldForwardAnAbsoluteFormTargetInOriginFormWithHostFromItsAuthority() {
        assertEquals("GET /path?q HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n"
            + "X-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("GET http://example.com:8080/path?q HTTP/1.1\r\nHost: other.example\r\nAccept: */*\r\n\r\n"));
    }

    @Test
    void shouldForwardAnAbsoluteFormTargetWithoutPathAsSlash() {
        assertEquals("GET / HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("GET HTTP://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"));
        assertEquals("GET /?q=1 HTTP/1.1\r\nHost: [::1]:81\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("GET https://[::1]:81?q=1 HTTP/1.0\r\n\r\n"));
    }

    @Test
    void shouldForwardOptionsWithAnAbsoluteTargetWithoutPathAsAsterisk() {
        // RFC 9112 3.2.4: the last proxy sends "*" for OPTIONS to an absolute URI with an empty path.
        assertEquals("OPTIONS * HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("OPTIONS http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    }

    // ---- rule 4: asterisk-form relayed as is

    @Test
    void shouldForwardAsteriskFormAsIs() {
        assertEquals("OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    // ---- rule 8: X-Forwarded-Proto, X-Forwarded-Host, Forwarded, Via

    @Test
    void shouldAddEveryForwardingFieldWhenSwitchedOn() {
        assertEquals("GET / HTTP/1.1\r\nHost: example.com:8080\r\nX-Forwarded-For: 10.0.0.1\r\n"
            + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: example.com:8080\r\n"
            + "Forwarded: for=10.0.0.1;host=\"example.com:8080\";proto=http\r\nVia: 1.1 weir\r\n\r\n",
            forwardedUnder(policy(true, true, true, true), "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"));
    }

    @Test
    void shouldReplaceTheClientsProtoAndHostButAppendToItsForwardedAndVia() {
        // The client cannot vouch for the scheme or host Weir saw; Forwarded and Via are chains, one entry a hop.
        final String request = "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n"
            + "Forwarded: for=192.0.2.1\r\nVia: 1.0 edge\r\nVia: 1.1 lb\r\n\r\n";
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nForwarded: for=192.0.2.1, for=10.0.0.1;host=\"h\";proto=http\r\n"
            + "Via: 1.0 edge\r\nVia: 1.1 lb, 1.1 weir\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\n"
            + "X-Forwarded-Host: h\r\n\r\n", forwardedUnder(policy(true, true, true, true), request));
    }

    @Test
    void shouldRelayTheClientsForwardingFieldsUntouchedWhenSwitchedOff() {
        final String request = "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: x\r\n"
            + "Forwarded: for=192.0.2.1\r\nVia: 1.0 edge\r\n\r\n";
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: x\r\n"
            + "Forwarded: for=192.0.2.1\r\nVia: 1.0 edge\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwardedUnder(PLAIN, request));
    }

    @Test
    void shouldTakeTheForwardedHostFromTheAbsoluteTarget() {
        assertEquals("GET /p HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 10.0.0.1\r\n"
            + "X-Forwarded-Host: a.example\r\n\r\n",
            forwardedUnder(policy(false, true, false, false), "GET http://a.example/p HTTP/1.1\r\nHost: b\r\n\r\n"));
    }

    @Test
    void shouldBracketAndQuoteAnIpv6ClientInForwardedAndLeaveOutAMissingHost() {
        parse("GET / HTTP/1.0\r\n\r\n");
        head = new RequestHead(policy(false, true, true, false));
        parse("GET / HTTP/1.0\r\n\r\n");
        final byte[] v6 = TestBytes.bytes("::1");
        final int written = rewriter.rewrite(src, SRC_BASE, head, dst, DST_BASE, 4096, v6, v6.length);
        assertEquals("GET / HTTP/1.1\r\nHost: \r\nX-Forwarded-For: ::1\r\nForwarded: for=\"[::1]\";proto=http\r\n"
            + "\r\n", TestBytes.read(dst, DST_BASE, written));
    }

    @Test
    void shouldUseTheDefaultPolicyOfProtoHostAndVia() {
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\n"
            + "X-Forwarded-Host: h\r\nVia: 1.1 weir\r\n\r\n",
            forwardedUnder(RequestPolicy.DEFAULTS, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    @Test
    void shouldDropForwardingFieldsTheClientNamedInConnection() {
        assertEquals("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.1 weir\r\n\r\n",
            forwardedUnder(policy(false, false, false, true),
                "GET / HTTP/1.1\r\nHost: h\r\nVia: 1.0 x\r\nConnection: via, x-forwarded-host\r\n"
                    + "X-Forwarded-Host: y\r\n\r\n"));
    }

    @Test
    void shouldReportTooLargeForEveryCapacityBelowTheNeededOneWithoutWritingPastIt() {
        parse("GET /long/path HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: close\r\n"
            + "User-Agent: test\r\n\r\n");
        final int needed = rewrite(4096);
        assertEquals("GET /long/path HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n"
            + "User-Agent: test\r\n\r\n", TestBytes.read(dst, DST_BASE, needed));
        for (int capacity = 0; capacity < needed; capacity++) {
            assertEquals(HeaderRewriter.TOO_LARGE, rewrite(capacity), "capacity " + capacity);
        }
        assertEquals(needed, rewrite(needed));
    }

    @Test
    void shouldReportTooLargeWhenOnlyTheAddedForwardedForDoesNotFit() {
        parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        final int needed = rewrite(4096);
        final int withoutForwardedFor = "GET / HTTP/1.1\r\nHost: h\r\n\r\n".length();
        for (int capacity = withoutForwardedFor; capacity < needed; capacity++) {
            assertEquals(HeaderRewriter.TOO_LARGE, rewrite(capacity), "capacity " + capacity);
        }
    }
}
