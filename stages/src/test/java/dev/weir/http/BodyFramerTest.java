package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BodyFramer}: one framer for request and response bodies, finding where each ends however the bytes
 * arrive, and leaving bytes after the body for the next message.
 */
class BodyFramerTest {

    private static final long BASE = 64;
    private final BodyFramer framer = new BodyFramer();
    private BytesStore<?, ?> store;

    @BeforeEach
    void allocate() {
        store = BytesStore.nativeStoreWithFixedCapacity(1 << 16);
    }

    @AfterEach
    void release() {
        store.releaseLast();
    }

    private int put(final String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        store.write(BASE, bytes, 0, bytes.length);
        return bytes.length;
    }

    @Test
    void shouldEndALengthBodyAcrossPartsAndLeaveTheNextMessage() {
        framer.begin(BodyFramer.LENGTH, 10);
        assertFalse(framer.isComplete());
        int to = put("01234");
        assertEquals(5, framer.frame(store, BASE, 0, to));
        assertFalse(framer.isComplete());
        to = put("56789GET / HTTP/1.1");
        assertEquals(5, framer.frame(store, BASE, 0, to), "bytes after the body belong to the next request");
        assertTrue(framer.isComplete());
        assertEquals(10, framer.framedBytes());
    }

    @Test
    void shouldBeCompleteAtOnceWithoutABody() {
        framer.begin(BodyFramer.NONE, 0);
        assertTrue(framer.isComplete());
        final int to = put("HTTP/1.1 200 OK");
        assertEquals(3, framer.frame(store, BASE, 3, to), "nothing from here is body");
        framer.begin(BodyFramer.LENGTH, 0);
        assertTrue(framer.isComplete(), "a zero length is no body");
        assertEquals(BodyFramer.NONE, framer.mode());
    }

    @Test
    void shouldEndAChunkedBodyAtItsLastChunkSplitAnywhere() {
        final String body = "5\r\nhello\r\n0\r\n\r\n";
        for (int split = 1; split < body.length(); split++) {
            framer.begin(BodyFramer.CHUNKED, 0);
            int to = put(body.substring(0, split));
            assertEquals(to, framer.frame(store, BASE, 0, to));
            assertFalse(framer.isComplete(), "split at " + split);
            to = put(body.substring(split) + "NEXT");
            assertEquals(body.length() - split, framer.frame(store, BASE, 0, to), "split at " + split);
            assertTrue(framer.isComplete());
        }
    }

    @Test
    void shouldRefuseMalformedChunking() {
        framer.begin(BodyFramer.CHUNKED, 0);
        final int to = put("zz\r\nhello\r\n");
        assertEquals(BodyFramer.MALFORMED, framer.frame(store, BASE, 0, to));
    }

    @Test
    void shouldTakeEverythingUntilTheSenderClosesForACloseDelimitedBody() {
        framer.begin(BodyFramer.UNTIL_CLOSE, 0);
        final int to = put("any bytes at all");
        assertEquals(to, framer.frame(store, BASE, 0, to));
        assertFalse(framer.isComplete());
        framer.onSenderClosed();
        assertTrue(framer.isComplete());
    }

    @Test
    void shouldIgnoreASenderCloseForALengthBody() {
        framer.begin(BodyFramer.LENGTH, 100);
        framer.onSenderClosed();
        assertFalse(framer.isComplete(), "a length body cut short is not complete");
    }

    @Test
    void shouldRemoveTheChunkedFramingInPlaceAcrossParts() {
        final String body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n";
        for (int split = 1; split < body.length(); split++) {
            framer.begin(BodyFramer.CHUNKED_DECODED, 0);
            final StringBuilder decoded = new StringBuilder();
            int to = put(body.substring(0, split));
            int end = framer.frame(store, BASE, 0, to);
            decoded.append(read(end));
            to = put(body.substring(split));
            end = framer.frame(store, BASE, 0, to);
            decoded.append(read(end));
            assertTrue(framer.isComplete(), "split at " + split);
            assertEquals("hello world", decoded.toString(), "split at " + split);
        }
    }

    private String read(final int length) {
        final byte[] out = new byte[length];
        store.read(BASE, out, 0, length);
        return new String(out, StandardCharsets.ISO_8859_1);
    }
}
