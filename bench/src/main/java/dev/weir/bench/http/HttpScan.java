package dev.weir.bench.http;

import java.nio.charset.StandardCharsets;

/**
 * Finds and parses HTTP/1.1 heads in place: no strings, no allocation.
 * <p>
 * Only the headers the bench needs are interpreted ({@code Content-Length}, {@code Transfer-Encoding},
 * {@code Connection}); lines must end in CRLF.
 * <p>
 * <b>Note:</b> stateless and thread-safe; results go to the caller's {@link HttpHead}.
 */
public final class HttpScan {

    /** The buffer does not yet hold a whole head. */
    public static final int NEED_MORE = -1;
    /** The head is malformed. */
    public static final int BAD = -2;

    private static final byte[] CONTENT_LENGTH = bytes("content-length");
    private static final byte[] TRANSFER_ENCODING = bytes("transfer-encoding");
    private static final byte[] CONNECTION = bytes("connection");
    private static final byte[] CHUNKED = bytes("chunked");
    private static final byte[] CLOSE = bytes("close");
    private static final byte[] KEEP_ALIVE = bytes("keep-alive");
    private static final byte[] HTTP_1_1 = bytes("HTTP/1.1");
    private static final byte[] HTTP_1_0 = bytes("HTTP/1.0");

    private static final byte[][] METHODS = {
        null, bytes("GET"), bytes("HEAD"), bytes("POST"), bytes("PUT"), bytes("DELETE"), bytes("OPTIONS"),
        bytes("PATCH"),
    };

    private HttpScan() {
    }

    /**
     * Finds the end of a head.
     *
     * @param buf   bytes.
     * @param start index of the head's first byte.
     * @param end   index after the last buffered byte.
     * @return the index after {@code CRLF CRLF}, or {@link #NEED_MORE}.
     */
    public static int findHeadEnd(final byte[] buf, final int start, final int end) {
        for (int i = start + 3; i < end; i++) {
            if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                return i + 1;
            }
        }
        return NEED_MORE;
    }

    /**
     * Parses a request head.
     *
     * @param buf   bytes.
     * @param start index of the head's first byte.
     * @param end   index after the last buffered byte.
     * @param head  receives the offsets and framing.
     * @return the index where the body starts, {@link #NEED_MORE} or {@link #BAD}.
     */
    public static int parseRequest(final byte[] buf, final int start, final int end, final HttpHead head) {
        final int headEnd = findHeadEnd(buf, start, end);
        if (headEnd < 0) {
            return headEnd;
        }
        head.reset(start);
        head.end = headEnd;
        final int sp1 = indexOf(buf, start, headEnd, (byte) ' ');
        if (sp1 < 0) {
            return BAD;
        }
        head.method = methodCode(buf, start, sp1);
        final int sp2 = indexOf(buf, sp1 + 1, headEnd, (byte) ' ');
        if (sp2 < 0 || sp2 == sp1 + 1) {
            return BAD;
        }
        head.targetStart = sp1 + 1;
        final int query = indexOf(buf, sp1 + 1, sp2, (byte) '?');
        head.targetEnd = query < 0 ? sp2 : query;
        final int eol = indexOf(buf, sp2 + 1, headEnd, (byte) '\r');
        if (eol - sp2 - 1 != HTTP_1_1.length) {
            return BAD;
        }
        if (Ascii.startsWith(buf, sp2 + 1, eol, HTTP_1_1)) {
            head.http10 = false;
        } else if (Ascii.startsWith(buf, sp2 + 1, eol, HTTP_1_0)) {
            head.http10 = true;
        } else {
            return BAD;
        }
        return parseHeaders(buf, eol + 2, headEnd, head) ? headEnd : BAD;
    }

    /**
     * Parses a response head.
     *
     * @param buf   bytes.
     * @param start index of the head's first byte.
     * @param end   index after the last buffered byte.
     * @param head  receives the status and framing.
     * @return the index where the body starts, {@link #NEED_MORE} or {@link #BAD}.
     */
    public static int parseResponse(final byte[] buf, final int start, final int end, final HttpHead head) {
        final int headEnd = findHeadEnd(buf, start, end);
        if (headEnd < 0) {
            // A non-HTTP answer is bad as soon as its first bytes show it, not when a blank line arrives.
            return end - start >= 8 && !Ascii.startsWith(buf, start, end, HTTP_1_1)
                && !Ascii.startsWith(buf, start, end, HTTP_1_0) ? BAD : NEED_MORE;
        }
        head.reset(start);
        head.end = headEnd;
        if (Ascii.startsWith(buf, start, headEnd, HTTP_1_1)) {
            head.http10 = false;
        } else if (Ascii.startsWith(buf, start, headEnd, HTTP_1_0)) {
            head.http10 = true;
        } else {
            return BAD;
        }
        final int s = start + 9;
        final long status = Ascii.parseDecimal(buf, s, s + 3);
        if (status < 100 || buf[s - 1] != ' ') {
            return BAD;
        }
        head.status = (int) status;
        final int eol = indexOf(buf, s, headEnd, (byte) '\r');
        return parseHeaders(buf, eol + 2, headEnd, head) ? headEnd : BAD;
    }

    private static boolean parseHeaders(final byte[] buf, final int from, final int headEnd, final HttpHead head) {
        int line = from;
        while (line < headEnd - 2) {
            final int eol = indexOf(buf, line, headEnd, (byte) '\r');
            final int colon = indexOf(buf, line, eol, (byte) ':');
            if (colon <= line) {
                return false;
            }
            int vs = colon + 1;
            while (vs < eol && (buf[vs] == ' ' || buf[vs] == '\t')) {
                vs++;
            }
            int ve = eol;
            while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) {
                ve--;
            }
            if (Ascii.equalsIgnoreCase(buf, line, colon, CONTENT_LENGTH)) {
                final long length = Ascii.parseDecimal(buf, vs, ve);
                if (length < 0 || head.contentLength >= 0 && head.contentLength != length) {
                    return false;
                }
                head.contentLength = length;
            } else if (Ascii.equalsIgnoreCase(buf, line, colon, TRANSFER_ENCODING)) {
                head.chunked = ve - vs >= CHUNKED.length
                    && Ascii.equalsIgnoreCase(buf, ve - CHUNKED.length, ve, CHUNKED);
            } else if (Ascii.equalsIgnoreCase(buf, line, colon, CONNECTION)) {
                head.connectionClose |= Ascii.containsIgnoreCase(buf, vs, ve, CLOSE);
                head.connectionKeepAlive |= Ascii.containsIgnoreCase(buf, vs, ve, KEEP_ALIVE);
            }
            line = eol + 2;
        }
        if (head.chunked) {
            head.contentLength = -1;
        }
        return true;
    }

    private static int methodCode(final byte[] buf, final int start, final int end) {
        for (int m = 1; m < METHODS.length; m++) {
            if (end - start == METHODS[m].length && Ascii.startsWith(buf, start, end, METHODS[m])) {
                return m;
            }
        }
        return HttpHead.METHOD_UNKNOWN;
    }

    private static int indexOf(final byte[] buf, final int from, final int to, final byte b) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
