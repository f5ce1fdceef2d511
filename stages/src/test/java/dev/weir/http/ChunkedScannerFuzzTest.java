package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target for {@link ChunkedScanner} (Jazzer, raw bytes): where a chunked body ends must not depend on how
 * TCP cut it. Seeds: {@code src/test/resources/dev/weir/http/ChunkedScannerFuzzTestInputs/}.
 */
class ChunkedScannerFuzzTest {

    private static final long BASE = 80;
    private static final int CAPACITY = 64 * 1024;
    /** Bodies up to this length are also split in two at every offset; longer ones at a few. */
    private static final int SPLIT_EVERYWHERE_LENGTH = 256;
    private static final int SPLITS_OF_LONG_BODIES = 16;
    /** {@link #scan} result while the body has not ended. */
    private static final long NOT_ENDED = -1;
    /** {@link #scan} result for malformed framing. */
    private static final long MALFORMED = -2;

    private static FuzzStore body;

    private final ChunkedScanner scanner = new ChunkedScanner();

    @BeforeAll
    static void allocate() {
        body = new FuzzStore(BASE, CAPACITY);
    }

    @AfterAll
    static void release() {
        body.release();
    }

    /**
     * Scanning the input in one piece, one byte at a time, or split in two anywhere gives the same verdict: the
     * same end of body, or malformed, or not ended yet. No exception escapes.
     */
    @FuzzTest(maxDuration = FuzzLimits.MAX_DURATION)
    void endOfBodyDoesNotDependOnHowItIsSplit(final byte[] input) {
        final int length = body.load(input, FuzzStore.LOUD_FILL);
        final long whole = scan(length, length);
        assertTrue(whole == NOT_ENDED || whole == MALFORMED || whole >= 5 && whole <= length,
            () -> "impossible end " + whole);
        assertEquals(whole, scan(length, 1), "one byte at a time");
        if (length <= SPLIT_EVERYWHERE_LENGTH) {
            for (int cut = 0; cut <= length; cut++) {
                assertEquals(whole, scanSplit(length, cut), "split at " + cut);
            }
        } else {
            for (int k = 1; k <= SPLITS_OF_LONG_BODIES; k++) {
                final int cut = (int) ((long) length * k / (SPLITS_OF_LONG_BODIES + 1));
                assertEquals(whole, scanSplit(length, cut), "split at " + cut);
            }
        }
    }

    /** @return the body's length when it ended, {@link #NOT_ENDED} or {@link #MALFORMED}. */
    private long scan(final int length, final int pieceLength) {
        scanner.reset();
        for (int at = 0; at < length; at += pieceLength) {
            final long verdict = piece(at, Math.min(pieceLength, length - at));
            if (verdict != NOT_ENDED) {
                return verdict;
            }
        }
        return NOT_ENDED;
    }

    private long scanSplit(final int length, final int cut) {
        scanner.reset();
        final long first = piece(0, cut);
        return first != NOT_ENDED ? first : piece(cut, length - cut);
    }

    private long piece(final int at, final int pieceLength) {
        final int result = scanner.scan(body.store(), BASE + at, pieceLength);
        if (result == ChunkedScanner.DONE) {
            assertTrue(scanner.isDone() && scanner.consumed() > 0 && scanner.consumed() <= pieceLength);
            return at + scanner.consumed();
        }
        if (result == ChunkedScanner.MALFORMED) {
            return MALFORMED;
        }
        assertEquals(pieceLength, result, "took part of a piece without ending the body");
        return NOT_ENDED;
    }
}
