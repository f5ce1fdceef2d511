package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target for {@link ResponseHeadParser} (Jazzer, raw bytes): what an origin sends can never break the
 * parser, only earn a 502. Seeds: {@code src/test/resources/dev/weir/http/ResponseHeadParserFuzzTestInputs/}.
 */
class ResponseHeadParserFuzzTest {

    private static final long BASE = 96;
    /** Weir's default {@code upstream.buffer}. */
    private static final int CAPACITY = 32 * 1024;
    private static final int[] METHODS = {RequestHead.GET, RequestHead.HEAD, RequestHead.POST};

    private static FuzzStore block;

    private final ResponseHeadParser parser = new ResponseHeadParser();
    private final ResponseHead head = new ResponseHead();

    @BeforeAll
    static void allocate() {
        block = new FuzzStore(BASE, CAPACITY);
    }

    @AfterAll
    static void release() {
        block.release();
    }

    /**
     * Every input is COMPLETE, NEED_MORE or BAD_RESPONSE, never an exception; the answer depends only on the
     * bytes given, is the same whether they arrive at once or one byte at a time, and a complete head has one
     * framing.
     */
    @FuzzTest(maxDuration = FuzzLimits.MAX_DURATION)
    void parserAnswersEveryResponseWithADocumentedStatus(final byte[] input) {
        final int length = block.load(input, FuzzStore.QUIET_FILL);
        head.reset();
        final int status = parser.parse(block.store(), BASE, length, CAPACITY, head);
        assertTrue(status == ParseStatus.COMPLETE || status == ParseStatus.NEED_MORE
            || status == ParseStatus.BAD_RESPONSE, () -> "undocumented status " + ParseStatus.name(status));
        final long[] whole = summary(status, head);
        if (status == ParseStatus.COMPLETE) {
            assertTrue(head.headLength() >= 16 && head.headLength() <= length);
            assertTrue(head.status() >= 0 && head.status() <= 999);
            assertTrue(head.contentLength() >= RequestHead.NO_CONTENT_LENGTH);
            assertFalse(head.chunked && head.contentLength() != RequestHead.NO_CONTENT_LENGTH,
                "both Content-Length and chunked");
            for (final int method : METHODS) {
                final int framing = head.framing(method);
                assertTrue(framing == ResponseHead.FRAMING_LENGTH || framing == ResponseHead.FRAMING_CHUNKED
                    || framing == ResponseHead.FRAMING_CLOSE || framing == ResponseHead.FRAMING_NONE);
            }
        }

        block.load(input, FuzzStore.LOUD_FILL);
        head.reset();
        assertArrayEquals(whole, summary(parser.parse(block.store(), BASE, length, CAPACITY, head), head),
            "the answer depends on bytes outside the input");

        head.reset();
        int piecewise = ParseStatus.NEED_MORE;
        for (int received = 0; received <= length && piecewise == ParseStatus.NEED_MORE; received++) {
            piecewise = parser.parse(block.store(), BASE, received, CAPACITY, head);
        }
        assertArrayEquals(whole, summary(piecewise, head), "byte by byte differs from all at once");

        if (status == ParseStatus.NEED_MORE && length > 0) {
            head.reset();
            assertEquals(ParseStatus.BAD_RESPONSE, parser.parse(block.store(), BASE, length, length, head));
        }
    }

    private static long[] summary(final int status, final ResponseHead head) {
        if (status != ParseStatus.COMPLETE) {
            return new long[] {status};
        }
        return new long[] {status, head.headLength(), head.status(), head.version, head.contentLength(),
            head.chunked ? 1 : 0, head.closeToken ? 1 : 0, head.keepAliveToken ? 1 : 0};
    }
}
