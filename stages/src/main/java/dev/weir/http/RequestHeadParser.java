package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * A zero-allocation HTTP/1.1 request head parser over a Chronicle {@link BytesStore} (RFC 9112).
 * <p>
 * The bytes are scanned for the empty line that ends the head, resuming where the last call stopped; once it
 * is there the whole head is parsed in one pass into a {@link RequestHead} flyweight. Framing follows the
 * RFC's defences against request smuggling: {@code Transfer-Encoding} with {@code Content-Length}, differing
 * {@code Content-Length}s, folded lines, bare LFs and white space before the colon are refused with 400.
 * <p>
 * <b>Note:</b> stateless; one instance may serve every slot of a stage thread.
 */
public final class RequestHeadParser {

    /** Longest method token accepted. */
    public static final int DEFAULT_MAX_METHOD_LENGTH = 16;
    /** Most digits of a {@code Content-Length}: keeps the value inside a long. */
    public static final int MAX_CONTENT_LENGTH_DIGITS = 18;

    private static final byte[][] METHODS = {
        null,
        HttpBytes.ascii("GET"),
        HttpBytes.ascii("HEAD"),
        HttpBytes.ascii("POST"),
        HttpBytes.ascii("PUT"),
        HttpBytes.ascii("DELETE"),
        HttpBytes.ascii("OPTIONS"),
        HttpBytes.ascii("PATCH"),
    };
    private static final byte[] HTTP_SLASH = HttpBytes.ascii("HTTP/");
    private static final byte[] CHUNKED = HttpBytes.ascii("chunked");
    private static final byte[] CLOSE = HttpBytes.ascii("close");
    private static final byte[] KEEP_ALIVE = HttpBytes.ascii("keep-alive");
    private static final byte[] CONTINUE = HttpBytes.ascii("100-continue");

    /**
     * Parse the head at the start of a block.
     *
     * @param store    the arena's store.
     * @param base     absolute offset of the block in {@code store}.
     * @param length   bytes received so far in the block.
     * @param capacity the block's size: a head that does not end within it is too large.
     * @param head     receives the result; call {@link RequestHead#reset()} before a new request.
     * @return {@link ParseStatus#COMPLETE}, {@link ParseStatus#NEED_MORE}, or a negative
     *         {@link ParseStatus} error whose negation is the status code to answer with.
     */
    public int parse(final BytesStore<?, ?> store, final long base, final int length, final int capacity,
        final RequestHead head) {
        final int end = findHeadEnd(store, base, length, head);
        if (end < 0) {
            return length >= capacity ? ParseStatus.HEAD_TOO_LARGE : ParseStatus.NEED_MORE;
        }
        head.headLength = end;
        return parseHead(store, base, end, head);
    }

    /** @return offset just past the CRLF CRLF, or -1 when it has not arrived. */
    private static int findHeadEnd(final BytesStore<?, ?> store, final long base, final int length,
        final RequestHead head) {
        int i = head.scanned;
        if (i == head.start) {
            // RFC 9112 2.2: ignore empty lines received before the request line, even when they arrive in pieces.
            while (i + 1 < length && store.readByte(base + i) == HttpBytes.CR
                && store.readByte(base + i + 1) == HttpBytes.LF) {
                i += 2;
            }
            head.start = i;
            if (i + 1 >= length) {
                // Not yet two bytes past the empty lines: they may still be a CR LF, so skip again next time.
                head.scanned = i;
                return -1;
            }
        }
        i = Math.max(i, head.start + 3);
        for (; i < length; i++) {
            if (store.readByte(base + i) == HttpBytes.LF && store.readByte(base + i - 1) == HttpBytes.CR
                && store.readByte(base + i - 2) == HttpBytes.LF && store.readByte(base + i - 3) == HttpBytes.CR) {
                return i + 1;
            }
        }
        head.scanned = Math.max(head.start, length);
        return -1;
    }

    private static int parseHead(final BytesStore<?, ?> store, final long base, final int end,
        final RequestHead head) {
        int pos = head.start;
        final int methodStart = pos;
        while (pos < end && HttpBytes.isTokenChar(store.readByte(base + pos))) {
            pos++;
        }
        final int methodLength = pos - methodStart;
        if (methodLength == 0 || methodLength > DEFAULT_MAX_METHOD_LENGTH
            || store.readByte(base + pos) != HttpBytes.SP) {
            return ParseStatus.BAD_REQUEST;
        }
        head.method = lookupMethod(store, base + methodStart, methodLength);
        pos++;

        head.targetStart = pos;
        while (pos < end && HttpBytes.isTargetChar(store.readByte(base + pos))) {
            pos++;
        }
        head.targetLength = pos - head.targetStart;
        if (head.targetLength == 0 || store.readByte(base + pos) != HttpBytes.SP) {
            return ParseStatus.BAD_REQUEST;
        }
        pos++;

        final int versionStatus = parseVersion(store, base, pos, end, head);
        if (versionStatus != ParseStatus.COMPLETE) {
            return versionStatus;
        }
        pos += 8;
        head.requestLineEnd = pos;
        pos += 2;
        if (head.method == 0) {
            return ParseStatus.NOT_IMPLEMENTED;
        }
        return parseFields(store, base, pos, end, head);
    }

    private static int lookupMethod(final BytesStore<?, ?> store, final long offset, final int length) {
        for (int id = 1; id < METHODS.length; id++) {
            final byte[] name = METHODS[id];
            if (name.length == length && matches(store, offset, name)) {
                return id;
            }
        }
        return 0;
    }

    private static int parseVersion(final BytesStore<?, ?> store, final long base, final int pos, final int end,
        final RequestHead head) {
        if (pos + 10 > end || !matches(store, base + pos, HTTP_SLASH)) {
            return ParseStatus.BAD_REQUEST;
        }
        final byte major = store.readByte(base + pos + 5);
        final byte dot = store.readByte(base + pos + 6);
        final byte minor = store.readByte(base + pos + 7);
        if (!isDigit(major) || dot != '.' || !isDigit(minor) || store.readByte(base + pos + 8) != HttpBytes.CR
            || store.readByte(base + pos + 9) != HttpBytes.LF) {
            return ParseStatus.BAD_REQUEST;
        }
        if (major != '1' || (minor != '0' && minor != '1')) {
            return ParseStatus.VERSION_NOT_SUPPORTED;
        }
        head.version = minor == '1' ? 11 : 10;
        return ParseStatus.COMPLETE;
    }

    private static int parseFields(final BytesStore<?, ?> store, final long base, final int from, final int end,
        final RequestHead head) {
        int pos = from;
        int hosts = 0;
        int transferEncodings = 0;
        boolean closeToken = false;
        boolean keepAliveToken = false;
        final int lastLine = end - 2;
        while (pos < lastLine) {
            final int index = head.headerCount;
            if (index == head.nameStart.length) {
                return ParseStatus.HEAD_TOO_LARGE;
            }
            final int nameStart = pos;
            // A leading SP or HTAB is an obsolete line fold, refused (RFC 9112 5.2).
            while (pos < lastLine && HttpBytes.isTokenChar(store.readByte(base + pos))) {
                pos++;
            }
            final int nameLength = pos - nameStart;
            if (nameLength == 0 || store.readByte(base + pos) != HttpBytes.COLON) {
                return ParseStatus.BAD_REQUEST;
            }
            pos++;
            while (isWhite(store.readByte(base + pos))) {
                pos++;
            }
            final int valueStart = pos;
            int valueEnd = pos;
            byte b;
            while ((b = store.readByte(base + pos)) != HttpBytes.CR) {
                if (!HttpBytes.isFieldValueChar(b)) {
                    return ParseStatus.BAD_REQUEST;
                }
                pos++;
                if (!isWhite(b)) {
                    valueEnd = pos;
                }
            }
            if (store.readByte(base + pos + 1) != HttpBytes.LF) {
                return ParseStatus.BAD_REQUEST;
            }
            pos += 2;

            final int id = HeaderNames.lookup(store, base + nameStart, nameLength);
            final int valueLength = valueEnd - valueStart;
            head.nameStart[index] = nameStart;
            head.nameLength[index] = nameLength;
            head.valueStart[index] = valueStart;
            head.valueLength[index] = valueLength;
            head.headerId[index] = id;
            head.headerCount = index + 1;

            switch (id) {
                case HeaderNames.CONTENT_LENGTH: {
                    final long value = parseContentLength(store, base + valueStart, valueLength);
                    if (value < 0 || (head.contentLength != RequestHead.NO_CONTENT_LENGTH
                        && head.contentLength != value)) {
                        return ParseStatus.BAD_REQUEST;
                    }
                    head.contentLength = value;
                    break;
                }
                case HeaderNames.TRANSFER_ENCODING:
                    transferEncodings++;
                    if (!HeaderNames.equalsIgnoreCase(store, base + valueStart, valueLength, CHUNKED)) {
                        return ParseStatus.NOT_IMPLEMENTED;
                    }
                    head.chunked = true;
                    break;
                case HeaderNames.HOST:
                    hosts++;
                    break;
                case HeaderNames.CONNECTION:
                    closeToken |= containsToken(store, base + valueStart, valueLength, CLOSE);
                    keepAliveToken |= containsToken(store, base + valueStart, valueLength, KEEP_ALIVE);
                    break;
                case HeaderNames.EXPECT:
                    head.expectContinue = HeaderNames.equalsIgnoreCase(store, base + valueStart, valueLength, CONTINUE);
                    break;
                default:
                    break;
            }
        }
        if (store.readByte(base + pos) != HttpBytes.CR || store.readByte(base + pos + 1) != HttpBytes.LF) {
            return ParseStatus.BAD_REQUEST;
        }
        // RFC 9112 6.1 and 6.3: both framings at once, or a repeated coding, is how requests are smuggled.
        if (transferEncodings > 1 || (head.chunked && head.contentLength != RequestHead.NO_CONTENT_LENGTH)) {
            return ParseStatus.BAD_REQUEST;
        }
        if (head.chunked && head.version == 10) {
            return ParseStatus.BAD_REQUEST;
        }
        if (head.version == 11 && hosts != 1 || hosts > 1) {
            return ParseStatus.BAD_REQUEST;
        }
        head.keepAlive = !closeToken && (head.version == 11 || keepAliveToken);
        return ParseStatus.COMPLETE;
    }

    /** @return the value, or -1 when it is not 1 to 18 decimal digits. */
    private static long parseContentLength(final BytesStore<?, ?> store, final long offset, final int length) {
        if (length == 0 || length > MAX_CONTENT_LENGTH_DIGITS) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < length; i++) {
            final byte b = store.readByte(offset + i);
            if (!isDigit(b)) {
                return -1;
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }

    /**
     * @return {@code true} when the comma-separated list holds {@code token}, ignoring case and white space.
     */
    static boolean containsToken(final BytesStore<?, ?> store, final long offset, final int length,
        final byte[] token) {
        int i = 0;
        while (i < length) {
            while (i < length && (isWhite(store.readByte(offset + i)) || store.readByte(offset + i) == ',')) {
                i++;
            }
            final int start = i;
            while (i < length && store.readByte(offset + i) != ',') {
                i++;
            }
            int stop = i;
            while (stop > start && isWhite(store.readByte(offset + stop - 1))) {
                stop--;
            }
            if (stop > start && HeaderNames.equalsIgnoreCase(store, offset + start, stop - start, token)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(final BytesStore<?, ?> store, final long offset, final byte[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (store.readByte(offset + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(final byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean isWhite(final byte b) {
        return b == HttpBytes.SP || b == HttpBytes.HTAB;
    }
}
