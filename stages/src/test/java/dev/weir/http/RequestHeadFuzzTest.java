package dev.weir.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz targets for {@link RequestHeadParser} and the {@link HeaderRewriter} behind it (Jazzer, raw bytes).
 * <p>
 * The seeds are request-smuggling probes, one raw file each, in
 * {@code src/test/resources/dev/weir/http/RequestHeadFuzzTestInputs/}: both targets read them. In the normal
 * suite Jazzer replays the seeds (and any inputs in the per-method folders) as regression tests; with
 * {@code -Pfuzz} it mutates them for {@link FuzzLimits#MAX_DURATION} per target.
 */
class RequestHeadFuzzTest {

    private static final long BASE = 128;
    private static final long DST_BASE = 64;
    /** A parse block of 16 KiB, one of the sizes {@code parse.buffer} takes. */
    private static final int CAPACITY = 16 * 1024;
    /** Larger than any rewritten head of a {@link #CAPACITY} request. */
    private static final int DST_CAPACITY = 2 * CAPACITY;
    private static final byte GUARD = FuzzStore.QUIET_FILL;
    private static final int GUARD_LENGTH = 64;
    private static final byte[] CLIENT = TestBytes.bytes("192.0.2.7");
    private static final int SUMMARY_FIELDS = 13;
    private static final int FIELD_WORDS = 5;

    private static FuzzStore src;
    private static FuzzStore dst;

    private final RequestHeadParser parser = new RequestHeadParser();
    /** Weir's defaults but without the optional forwarding fields, so the rewriter adds X-Forwarded-For alone. */
    private static final RequestPolicy PLAIN = new RequestPolicy(RequestPolicy.DEFAULT_MAX_REQUEST_LINE_BYTES,
        RequestPolicy.DEFAULT_MAX_HEADERS, 0, false, false, false, false);
    private final RequestHead head = new RequestHead(PLAIN);
    // The origin is not bound by Weir's field limit; the rewriter adds X-Forwarded-For and maybe Host.
    private final RequestHead reparsed = new RequestHead(new RequestPolicy(
        RequestPolicy.DEFAULT_MAX_REQUEST_LINE_BYTES + 1, RequestPolicy.DEFAULT_MAX_HEADERS + 2, 0, false, false,
        false, false));
    private final HeaderRewriter rewriter = new HeaderRewriter();

    @BeforeAll
    static void allocate() {
        src = new FuzzStore(BASE, CAPACITY);
        dst = new FuzzStore(DST_BASE, DST_CAPACITY + GUARD_LENGTH);
    }

    @AfterAll
    static void release() {
        src.release();
        dst.release();
    }

    /**
     * Every input gets a documented answer, never an exception; the answer depends only on the bytes given, and
     * is the same whether they arrive at once or one byte at a time.
     */
    @FuzzTest(maxDuration = FuzzLimits.MAX_DURATION)
    void parserAnswersEveryInputWithADocumentedStatus(final byte[] input) {
        final int length = src.load(input, FuzzStore.QUIET_FILL);
        head.reset();
        final int status = parser.parse(src.store(), BASE, length, CAPACITY, head);
        assertDocumented(status);
        final long[] whole = summary(status, head);
        if (status == ParseStatus.COMPLETE) {
            assertConsistent(head, length);
        }

        src.load(input, FuzzStore.LOUD_FILL);
        head.reset();
        assertArrayEquals(whole, summary(parser.parse(src.store(), BASE, length, CAPACITY, head), head),
            "the answer depends on bytes outside the input");

        head.reset();
        int piecewise = ParseStatus.NEED_MORE;
        for (int received = 0; received <= length && piecewise == ParseStatus.NEED_MORE; received++) {
            piecewise = parser.parse(src.store(), BASE, received, CAPACITY, head);
        }
        assertArrayEquals(whole, summary(piecewise, head), "byte by byte differs from all at once");

        if (status == ParseStatus.NEED_MORE && length > 0) {
            head.reset();
            // A head that fills the block: 414 while its request line has not ended, 431 once it has.
            final int full = parser.parse(src.store(), BASE, length, length, head);
            assertTrue(full == ParseStatus.HEAD_TOO_LARGE || full == ParseStatus.URI_TOO_LONG,
                () -> "a full block is " + ParseStatus.name(full));
            if (indexOf(input, length, (byte) '\n') < 0) {
                assertEquals(ParseStatus.URI_TOO_LONG, full, "no line ended: the request line is too long");
            }
        }
    }

    /**
     * A head that parses is forwarded as the same request: method, target, version and body framing unchanged,
     * the same fields less the hop-by-hop ones, {@code X-Forwarded-For} extended or added, and nothing after
     * the head, so the origin cannot read a second request out of it. A destination too small gets
     * {@link HeaderRewriter#TOO_LARGE} and no byte past its end.
     */
    @FuzzTest(maxDuration = FuzzLimits.MAX_DURATION)
    void rewrittenHeadParsesToTheSameRequest(final byte[] input) {
        final int length = src.load(input, FuzzStore.QUIET_FILL);
        head.reset();
        if (parser.parse(src.store(), BASE, length, CAPACITY, head) != ParseStatus.COMPLETE) {
            return;
        }
        dst.load(new byte[0], GUARD);
        final int written = rewriter.rewrite(src.store(), BASE, head, dst.store(), DST_BASE, DST_CAPACITY, CLIENT,
            CLIENT.length);
        assertTrue(written > 0, "rewrite refused a head that fits");
        assertGuarded(written, DST_CAPACITY + GUARD_LENGTH);

        if (head.hostLength < 0) {
            // An HTTP/1.0 request without Host is sent with an empty one (RFC 9112 3.2), which Weir's own parser
            // refuses from a client (as nginx does), so it cannot read its output back: check the bytes instead.
            final String sent = TestBytes.read(dst.store(), DST_BASE, written);
            assertTrue(sent.contains(" HTTP/1.1\r\nHost: \r\n") && sent.endsWith("\r\n\r\n"), sent);
            return;
        }
        reparsed.reset();
        final int status = parser.parse(dst.store(), DST_BASE, written, written, reparsed);
        assertEquals(ParseStatus.COMPLETE, status, () -> "rewritten head does not parse: "
            + ParseStatus.name(status) + "\n" + TestBytes.read(dst.store(), DST_BASE, written));
        assertEquals(0, reparsed.start());
        assertEquals(written, reparsed.headLength(), "the rewritten bytes hold more than one head");
        assertEquals(head.method(), reparsed.method());
        assertEquals(11, reparsed.version(), "the origin is always spoken to in HTTP/1.1");
        assertEquals(expectedTarget(),
            TestBytes.read(dst.store(), DST_BASE + reparsed.targetStart(), reparsed.targetLength()));
        assertEquals(head.contentLength(), reparsed.contentLength());
        assertEquals(head.isChunked(), reparsed.isChunked());
        assertEquals(expectedFields(), fields(dst, reparsed));

        if (written > 1) {
            final int small = written - 1 - (input.length == 0 ? 0 : (input[0] & 0xFF) % written);
            dst.load(new byte[0], GUARD);
            assertEquals(HeaderRewriter.TOO_LARGE, rewriter.rewrite(src.store(), BASE, head, dst.store(), DST_BASE,
                small, CLIENT, CLIENT.length));
            assertGuarded(small, DST_CAPACITY + GUARD_LENGTH);
        }
    }

    private static int indexOf(final byte[] bytes, final int length, final byte b) {
        for (int i = 0; i < Math.min(length, bytes.length); i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static void assertDocumented(final int status) {
        assertTrue(status == ParseStatus.COMPLETE || status == ParseStatus.NEED_MORE
            || status == ParseStatus.BAD_REQUEST || status == ParseStatus.HEAD_TOO_LARGE
            || status == ParseStatus.URI_TOO_LONG
            || status == ParseStatus.NOT_IMPLEMENTED || status == ParseStatus.VERSION_NOT_SUPPORTED,
            () -> "undocumented status " + ParseStatus.name(status));
    }

    /** Offsets lie inside the head in order, and the framing is one of the three a request may have. */
    private static void assertConsistent(final RequestHead head, final int length) {
        assertTrue(head.headLength() <= length);
        assertTrue(head.start() < head.targetStart() && head.targetLength() > 0);
        assertTrue(head.targetStart() + head.targetLength() < head.requestLineEnd());
        assertTrue(head.method() >= RequestHead.GET && head.method() <= RequestHead.PATCH);
        assertTrue(head.version() == 10 || head.version() == 11);
        assertTrue(head.headerCount() <= RequestHead.DEFAULT_MAX_HEADERS);
        int previousEnd = head.requestLineEnd() + 2;
        for (int i = 0; i < head.headerCount(); i++) {
            assertTrue(head.nameStart(i) >= previousEnd && head.nameLength(i) > 0);
            assertTrue(head.valueStart(i) > head.nameStart(i) + head.nameLength(i) && head.valueLength(i) >= 0);
            previousEnd = head.valueStart(i) + head.valueLength(i);
            assertTrue(previousEnd <= head.headLength() - 4);
        }
        assertTrue(head.contentLength() >= RequestHead.NO_CONTENT_LENGTH);
        assertFalse(head.isChunked() && head.contentLength() != RequestHead.NO_CONTENT_LENGTH,
            "both Content-Length and chunked");
        assertFalse(head.isChunked() && head.version() == 10, "chunked HTTP/1.0");
    }

    private static long[] summary(final int status, final RequestHead head) {
        final int count = status == ParseStatus.COMPLETE ? head.headerCount() : 0;
        final long[] summary = new long[SUMMARY_FIELDS + FIELD_WORDS * count];
        summary[0] = status;
        if (status != ParseStatus.COMPLETE) {
            return summary;
        }
        summary[1] = head.headLength();
        summary[2] = head.start();
        summary[3] = head.method();
        summary[4] = head.version();
        summary[5] = head.requestLineEnd();
        summary[6] = head.targetStart();
        summary[7] = head.targetLength();
        summary[8] = head.headerCount();
        summary[9] = head.contentLength();
        summary[10] = head.isChunked() ? 1 : 0;
        summary[11] = head.isKeepAlive() ? 1 : 0;
        summary[12] = head.expectsContinue() ? 1 : 0;
        for (int i = 0; i < count; i++) {
            final int at = SUMMARY_FIELDS + FIELD_WORDS * i;
            summary[at] = head.nameStart(i);
            summary[at + 1] = head.nameLength(i);
            summary[at + 2] = head.valueStart(i);
            summary[at + 3] = head.valueLength(i);
            summary[at + 4] = head.headerId(i);
        }
        return summary;
    }

    /** No byte from {@code from} to {@code to} of the destination was written. */
    private static void assertGuarded(final int from, final int to) {
        for (int i = from; i < to; i++) {
            assertEquals(GUARD, dst.store().readByte(DST_BASE + i), "wrote past the rewritten head at " + i);
        }
    }

    /**
     * The fields the origin should see, worked out from the client's head independently of the rewriter: drop
     * the hop-by-hop fields (RFC 9110 7.6.1) and {@code Expect}, and any other field a {@code Connection} list
     * names; extend the last {@code X-Forwarded-For}, or add one at the end.
     */
    /** Origin-form as sent: an absolute-form target loses its scheme and authority (RFC 9112 3.2.2). */
    private String expectedTarget() {
        final String target = TestBytes.read(src.store(), BASE + head.targetStart(), head.targetLength());
        if (head.targetForm() != RequestHead.ABSOLUTE_FORM) {
            return target;
        }
        final String path = TestBytes.read(src.store(), BASE + head.pathStart, head.pathLength);
        if (path.isEmpty()) {
            return head.method() == RequestHead.OPTIONS ? "*" : "/";
        }
        return path.startsWith("?") ? "/" + path : path;
    }

    private String expectedFields() {
        final StringBuilder connectionList = new StringBuilder(",");
        int lastForwardedFor = -1;
        for (int i = 0; i < head.headerCount(); i++) {
            if (head.headerId(i) == HeaderNames.CONNECTION) {
                connectionList.append(value(src, head, i)).append(',');
            } else if (head.headerId(i) == HeaderNames.X_FORWARDED_FOR) {
                lastForwardedFor = i;
            }
        }
        final String client = new String(CLIENT, StandardCharsets.ISO_8859_1);
        final StringBuilder expected = new StringBuilder();
        final boolean absolute = head.targetForm() == RequestHead.ABSOLUTE_FORM;
        if (absolute) {
            // The authority wins over any Host field: Host is regenerated from it, first.
            expected.append("Host: ").append(TestBytes.read(src.store(), BASE + head.hostStart, head.hostLength))
                .append("\r\n");
        } else if (head.hostLength < 0) {
            expected.append("Host: \r\n");
        }
        for (int i = 0; i < head.headerCount(); i++) {
            final int id = head.headerId(i);
            if (HeaderNames.isHopByHop(id) || id == HeaderNames.EXPECT || absolute && id == HeaderNames.HOST
                || !HeaderNames.isProtected(id) && listsName(connectionList.toString(), name(src, head, i))) {
                continue;
            }
            expected.append(name(src, head, i)).append(": ").append(value(src, head, i));
            if (i == lastForwardedFor) {
                expected.append(", ").append(client);
            }
            expected.append("\r\n");
        }
        if (lastForwardedFor < 0) {
            expected.append("X-Forwarded-For: ").append(client).append("\r\n");
        }
        if (head.isUpgrade()) {
            // The one upgrade Weir tunnels keeps its fields, normalised, at the end.
            expected.append("Connection: Upgrade\r\nUpgrade: websocket\r\n");
        }
        return expected.toString();
    }

    /**
     * Whether a {@code Connection} list names a field. Elements are separated by commas (RFC 9110 5.6.1); Weir
     * also splits at white space inside an element, where no token can stand, so such an element names each of
     * its words.
     */
    private static boolean listsName(final String list, final String name) {
        final String wanted = name.toLowerCase(Locale.ROOT);
        for (final String element : list.split("[,\t ]")) {
            if (element.toLowerCase(Locale.ROOT).equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    private static String fields(final FuzzStore store, final RequestHead head) {
        final StringBuilder fields = new StringBuilder();
        for (int i = 0; i < head.headerCount(); i++) {
            fields.append(name(store, head, i)).append(": ").append(value(store, head, i)).append("\r\n");
        }
        return fields.toString();
    }

    private static String name(final FuzzStore store, final RequestHead head, final int i) {
        return TestBytes.read(store.store(), store.base() + head.nameStart(i), head.nameLength(i));
    }

    private static String value(final FuzzStore store, final RequestHead head, final int i) {
        return TestBytes.read(store.store(), store.base() + head.valueStart(i), head.valueLength(i));
    }
}
