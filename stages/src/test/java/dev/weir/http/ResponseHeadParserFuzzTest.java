package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.weir.config.ConfigKeys;

/**
 * Fuzz target for {@link ResponseHeadParser} (Jazzer, raw bytes): what an origin sends can never break the
 * parser, only earn a 502. Seeds: {@code src/test/resources/dev/weir/http/ResponseHeadParserFuzzTestInputs/}.
 */
class ResponseHeadParserFuzzTest {

    private static final long BASE = 96;
    /** Weir's default {@code upstream.buffer}. */
    private static final int CAPACITY = ConfigKeys.DEFAULT_UPSTREAM_BUFFER_BYTES;
    private static final int[] METHODS = {RequestHead.GET, RequestHead.HEAD, RequestHead.POST};

    private static FuzzStore block;

    private final ResponseHeadParser parser = new ResponseHeadParser();
    private final ResponseHead head = new ResponseHead();
    private final ResponseHeadRewriter rewriter = new ResponseHeadRewriter();

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

    /**
     * The rebuilt head Weir sends a client (every {@code Connection} it may write, with and without
     * {@code Transfer-Encoding}) parses again as the same response: same status, length and chunked framing
     * (unless dropped), version {@code HTTP/1.1}, no hop-by-hop field but Weir's one {@code Connection}, and the
     * body bytes after it untouched.
     */
    @FuzzTest(maxDuration = FuzzLimits.MAX_DURATION)
    void rebuiltHeadParsesToTheSameResponse(final byte[] input) {
        final int room = ResponseHeadRewriter.HEAD_ROOM;
        final int length = Math.min(input.length, CAPACITY - room);
        for (int connection = ResponseHeadRewriter.CONNECTION_NONE;
            connection <= ResponseHeadRewriter.CONNECTION_CLOSE; connection++) {
            for (int drop = 0; drop < 2; drop++) {
                block.store().write(BASE + room, input, 0, length);
                head.reset();
                if (parser.parse(block.store(), BASE + room, length, CAPACITY - room, head) != ParseStatus.COMPLETE) {
                    return;
                }
                final int headLength = head.headLength();
                final int status = head.status();
                final long contentLength = head.contentLength();
                final boolean chunked = head.chunked;
                final int start = rewriter.rewrite(block.store(), BASE, room, headLength, connection, drop == 1);
                if (start == ResponseHeadRewriter.TOO_MANY_TOKENS) {
                    return;
                }
                assertTrue(start >= 0 && start <= room + headLength, "the rebuilt head starts inside the block");
                final int rebuilt = room + headLength - start;
                head.reset();
                assertEquals(ParseStatus.COMPLETE, parser.parse(block.store(), BASE + start, rebuilt, rebuilt, head),
                    "the rebuilt head parses");
                assertEquals(rebuilt, head.headLength(), "one head, ending where the origin's ended");
                assertEquals(status, head.status());
                assertEquals(11, head.version);
                assertEquals(contentLength, head.contentLength());
                assertEquals(chunked && drop == 0, head.chunked);
                if (drop == 1) {
                    // Without Transfer-Encoding only Weir's own Connection can ask for a close.
                    assertEquals(connection == ResponseHeadRewriter.CONNECTION_CLOSE, head.closeToken);
                }
                assertEquals(connection == ResponseHeadRewriter.CONNECTION_KEEP_ALIVE, head.keepAliveToken);
                if (length > headLength) {
                    assertEquals(input[headLength], block.store().readByte(BASE + room + headLength),
                        "the body after the head is not moved");
                }
            }
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
