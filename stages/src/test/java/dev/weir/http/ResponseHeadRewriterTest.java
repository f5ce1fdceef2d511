package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ResponseHeadRewriter}: the client gets the origin's status and end-to-end fields, Weir's version and
 * {@code Connection}, none of the hop-by-hop fields or the fields the origin's {@code Connection} names, and the
 * body right after, unmoved.
 */
class ResponseHeadRewriterTest {

    private static final long BASE = 128;
    private static final int SRC = ResponseHeadRewriter.HEAD_ROOM;
    private static final String BODY = "BODY";
    private final ResponseHeadRewriter rewriter = new ResponseHeadRewriter();
    private final ResponseHeadParser parser = new ResponseHeadParser();
    private final ResponseHead head = new ResponseHead();
    private BytesStore<?, ?> store;

    @BeforeEach
    void allocate() {
        store = BytesStore.nativeStoreWithFixedCapacity(1 << 16);
    }

    @AfterEach
    void release() {
        store.releaseLast();
    }

    /** @return what the client gets: the rebuilt head and the body after it. */
    private String rewrite(final String originHead, final int connection, final boolean dropTransferEncoding) {
        final byte[] bytes = (originHead + BODY).getBytes(StandardCharsets.ISO_8859_1);
        store.write(BASE + SRC, bytes, 0, bytes.length);
        assertEquals(ParseStatus.COMPLETE, parser.parse(store, BASE + SRC, bytes.length, 4096, head));
        final int length = head.headLength();
        final int start = rewriter.rewrite(store, BASE, SRC, length, connection, dropTransferEncoding);
        final byte[] out = new byte[SRC + length + BODY.length() - start];
        store.read(BASE + start, out, 0, out.length);
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    @Test
    void shouldKeepStatusAndEndToEndFieldsWithWeirsVersion() {
        assertEquals("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nBODY",
            rewrite("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n",
                ResponseHeadRewriter.CONNECTION_NONE, false));
    }

    @Test
    void shouldDropHopByHopFieldsAndTheFieldsConnectionNames() {
        assertEquals("HTTP/1.1 200 OK\r\nX-Kept: 1\r\nContent-Length: 4\r\nConnection: close\r\n\r\nBODY",
            rewrite("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cret\r\nKeep-Alive: timeout=99"
                + "\r\nX-Kept: 1\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\n"
                + "Upgrade: h2c\r\nContent-Length: 4\r\nconnection: x-other\r\nX-Other: o\r\n\r\n",
                ResponseHeadRewriter.CONNECTION_CLOSE, false));
    }

    @Test
    void shouldNeverDropTheFramingFieldsWhateverConnectionNames() {
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nBODY",
            rewrite("HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 4\r\n\r\n",
                ResponseHeadRewriter.CONNECTION_KEEP_ALIVE, false));
    }

    @Test
    void shouldDropTransferEncodingForADecodedBody() {
        assertEquals("HTTP/1.1 200 OK\r\nX-A: b\r\nConnection: close\r\n\r\nBODY",
            rewrite("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n",
                ResponseHeadRewriter.CONNECTION_CLOSE, true));
    }

    @Test
    void shouldGrowTheHeadIntoTheRoomWhenNothingIsDropped() {
        // The shortest head with the longest added line: the room before the head takes the difference.
        assertEquals("HTTP/1.1 204 \r\nConnection: keep-alive\r\n\r\nBODY",
            rewrite("HTTP/1.1 204 \r\n\r\n", ResponseHeadRewriter.CONNECTION_KEEP_ALIVE, false));
    }

    @Test
    void shouldRefuseAConnectionListNamingTooManyFields() {
        final StringBuilder names = new StringBuilder();
        for (int i = 0; i <= ResponseHeadRewriter.MAX_CONNECTION_TOKENS; i++) {
            names.append(i == 0 ? "" : ", ").append("x-").append(i);
        }
        final byte[] bytes = ("HTTP/1.1 200 OK\r\nConnection: " + names + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
        store.write(BASE + SRC, bytes, 0, bytes.length);
        assertEquals(ParseStatus.COMPLETE, parser.parse(store, BASE + SRC, bytes.length, 4096, head));
        assertEquals(ResponseHeadRewriter.TOO_MANY_TOKENS, rewriter.rewrite(store, BASE, SRC, head.headLength(),
            ResponseHeadRewriter.CONNECTION_NONE, false));
    }
}
