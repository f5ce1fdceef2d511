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
 * {@link ChunkedScanner}: finds the exact end of a chunked body however it is split, and refuses bad framing.
 */
class ChunkedScannerTest {

    private static final long BASE = 100;
    private static final String MANY_CHUNKS = "5\r\nhello\r\n"
        + "1;ext=1\r\n \r\n"
        + "a\r\n0123456789\r\n"
        + "10 ; name=\"quoted;value\"\r\n0123456789abcdef\r\n"
        + "5\r\n0\r\n\r\n\r\n"
        + "0\r\n"
        + "X-Checksum: abc\r\n"
        + "Y: 1\r\n"
        + "\r\n";

    private final ChunkedScanner scanner = new ChunkedScanner();
    private BytesStore<?, ?> store;

    @BeforeEach
    void allocate() {
        store = BytesStore.nativeStoreWithFixedCapacity(1 << 20);
    }

    @AfterEach
    void release() {
        store.releaseLast();
    }

    private int scan(final String bytes) {
        final int length = TestBytes.write(store, BASE, bytes);
        scanner.reset();
        return scanner.scan(store, BASE, length);
    }

    private void assertWholeBodyIsDone(final String body) {
        assertEquals(ChunkedScanner.DONE, scan(body));
        assertEquals(body.length(), scanner.consumed());
        assertTrue(scanner.isDone());
    }

    @Test
    void shouldFindTheEndOfASingleChunk() {
        assertWholeBodyIsDone("5\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void shouldFindTheEndOfAnEmptyBody() {
        assertWholeBodyIsDone("0\r\n\r\n");
    }

    @Test
    void shouldFollowManyChunksWithExtensionsTrailersAndDataThatLooksLikeTheEnd() {
        assertWholeBodyIsDone(MANY_CHUNKS);
    }

    @Test
    void shouldAcceptUpperAndLowerCaseHex() {
        final String data = "x".repeat(0xAB);
        assertWholeBodyIsDone("aB\r\n" + data + "\r\nAb\r\n" + data + "\r\n00\r\n\r\n");
    }

    @Test
    void shouldFollowALargeChunkedBody() {
        final StringBuilder body = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            body.append("2000\r\n").append("z".repeat(8192)).append("\r\n");
        }
        assertWholeBodyIsDone(body.append("0\r\n\r\n").toString());
    }

    @Test
    void shouldNotConsumePipelinedBytesAfterTheEnd() {
        final String body = "3\r\nabc\r\n0\r\n\r\n";
        assertEquals(ChunkedScanner.DONE, scan(body + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertEquals(body.length(), scanner.consumed());
    }

    @Test
    void shouldFindTheEndWhenTheBodyIsSplitAtEveryByteBoundary() {
        final String pipelined = "0\r\n\r\n";
        final int length = TestBytes.write(store, BASE, MANY_CHUNKS + pipelined);
        final int body = MANY_CHUNKS.length();
        for (int split = 1; split < body; split++) {
            scanner.reset();
            assertEquals(split, scanner.scan(store, BASE, split), "split " + split);
            assertFalse(scanner.isDone());
            assertEquals(ChunkedScanner.DONE, scanner.scan(store, BASE + split, length - split), "split " + split);
            assertEquals(body - split, scanner.consumed(), "split " + split);
        }
    }

    @Test
    void shouldFindTheEndWhenTheBodyArrivesOneByteAtATime() {
        final int length = TestBytes.write(store, BASE, MANY_CHUNKS);
        scanner.reset();
        for (int i = 0; i < length - 1; i++) {
            assertEquals(1, scanner.scan(store, BASE + i, 1), "byte " + i);
        }
        assertEquals(ChunkedScanner.DONE, scanner.scan(store, BASE + length - 1, 1));
        assertEquals(1, scanner.consumed());
    }

    @Test
    void shouldTakeNothingFromAnEmptyRead() {
        assertEquals(0, scan(""));
        assertFalse(scanner.isDone());
    }

    @Test
    void shouldStartAgainAfterReset() {
        assertWholeBodyIsDone("1\r\na\r\n0\r\n\r\n");
        assertWholeBodyIsDone("2\r\nab\r\n0\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "5\r\nhelloX\r\n0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello0\r\n\r\n",
        "g\r\n",
        "-5\r\n",
        "0x5\r\n",
        "\r\n",
        ";ext\r\n",
        "1234567890abcdef\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5\rhello\r\n0\r\n\r\n",
        "5;ext\nhello\r\n",
        "0\r\n\n",
        "0\r\n\r\r",
        "0\r\nX: a\n\r\n",
        "0\r\n: a\r\n\r\n",
        "0\r\n\tX: a\r\n\r\n",
    })
    void shouldReportMalformedFraming(final String body) {
        assertEquals(ChunkedScanner.MALFORMED, scan(body));
    }

    @Test
    void shouldAcceptTheLongestChunkSize() {
        final String size = "0".repeat(ChunkedScanner.MAX_SIZE_DIGITS - 1) + "1";
        assertWholeBodyIsDone(size + "\r\nz\r\n0\r\n\r\n");
    }

    @Test
    void shouldAcceptAnExtensionOfTheMaximumLengthAfterTheSemicolon() {
        final String extension = ";" + "e".repeat(ChunkedScanner.DEFAULT_MAX_LINE_LENGTH);
        assertWholeBodyIsDone("1" + extension + "\r\nz\r\n0\r\n\r\n");
    }

    @Test
    void shouldReportAnOverlongExtensionAsMalformed() {
        final String extension = ";" + "e".repeat(ChunkedScanner.DEFAULT_MAX_LINE_LENGTH + 1);
        assertEquals(ChunkedScanner.MALFORMED, scan("1" + extension + "\r\nz\r\n0\r\n\r\n"));
    }

    @Test
    void shouldAcceptATrailerLineOfTheMaximumLength() {
        final String trailer = "X: " + "t".repeat(ChunkedScanner.DEFAULT_MAX_LINE_LENGTH - 3);
        assertWholeBodyIsDone("0\r\n" + trailer + "\r\n\r\n");
    }

    @Test
    void shouldReportAnOverlongTrailerAsMalformed() {
        final String trailer = "X: " + "t".repeat(ChunkedScanner.DEFAULT_MAX_LINE_LENGTH - 2);
        assertEquals(ChunkedScanner.MALFORMED, scan("0\r\n" + trailer + "\r\n\r\n"));
    }
}
