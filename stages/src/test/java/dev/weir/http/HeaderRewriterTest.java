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
    private final RequestHead head = new RequestHead();
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
        assertEquals("GET / HTTP/1.0\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            forwarded("\r\n\r\nGET / HTTP/1.0\r\n\r\n"));
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
