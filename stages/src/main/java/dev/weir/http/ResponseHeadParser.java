package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Parses the status line and framing fields of an origin's response head, allocation-free.
 * <p>
 * Only status, {@code Content-Length}, {@code Transfer-Encoding} and {@code Connection} are read; the head is
 * then rebuilt by {@link ResponseHeadRewriter}. Anything malformed is {@link ParseStatus#BAD_RESPONSE},
 * answered 502: a status line that is not {@code HTTP/1.x NNN}, a NUL, bare CR, bare LF or other control byte in
 * the status line or a field, an invalid field name, a folded line, both {@code Content-Length} and
 * {@code Transfer-Encoding}, differing lengths, or a head larger than the block.
 * <p>
 * <b>Note:</b> stateless; one instance per stage thread.
 */
public final class ResponseHeadParser {

    private static final byte[] HTTP_1 = HttpBytes.ascii("HTTP/1.");
    private static final byte[] CHUNKED = HttpBytes.ascii("chunked");
    private static final byte[] CLOSE = HttpBytes.ascii("close");
    private static final byte[] KEEP_ALIVE = HttpBytes.ascii("keep-alive");
    private static final byte[] TRAILER = HttpBytes.ascii("trailer");

    /**
     * @param store    the arena's store.
     * @param base     absolute offset of the block.
     * @param length   bytes received in the block.
     * @param capacity the block's size.
     * @param head     receives the result.
     * @return {@link ParseStatus#COMPLETE}, {@link ParseStatus#NEED_MORE} or {@link ParseStatus#BAD_RESPONSE}.
     */
    public int parse(final BytesStore<?, ?> store, final long base, final int length, final int capacity,
        final ResponseHead head) {
        int end = -1;
        for (int i = Math.max(3, head.scanned); i < length; i++) {
            if (store.readByte(base + i) == HttpBytes.LF && store.readByte(base + i - 1) == HttpBytes.CR
                && store.readByte(base + i - 2) == HttpBytes.LF && store.readByte(base + i - 3) == HttpBytes.CR) {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            head.scanned = length;
            return length >= capacity ? ParseStatus.BAD_RESPONSE : ParseStatus.NEED_MORE;
        }
        head.headLength = end;
        return parseHead(store, base, end, head);
    }

    private static int parseHead(final BytesStore<?, ?> store, final long base, final int end,
        final ResponseHead head) {
        // HTTP/1.x SP 3DIGIT SP reason CRLF
        if (end < 16) {
            return ParseStatus.BAD_RESPONSE;
        }
        for (int i = 0; i < HTTP_1.length; i++) {
            if (store.readByte(base + i) != HTTP_1[i]) {
                return ParseStatus.BAD_RESPONSE;
            }
        }
        final byte minor = store.readByte(base + 7);
        if ((minor != '0' && minor != '1') || store.readByte(base + 8) != HttpBytes.SP) {
            return ParseStatus.BAD_RESPONSE;
        }
        head.version = minor == '1' ? 11 : 10;
        int status = 0;
        for (int i = 9; i < 12; i++) {
            final byte b = store.readByte(base + i);
            if (b < '0' || b > '9') {
                return ParseStatus.BAD_RESPONSE;
            }
            status = status * 10 + (b - '0');
        }
        head.status = status;
        int pos = 12;
        byte r = store.readByte(base + pos);
        if (r != HttpBytes.SP && r != HttpBytes.CR) {
            return ParseStatus.BAD_RESPONSE;
        }
        while ((r = store.readByte(base + pos)) != HttpBytes.CR) {
            if (isControl(r)) {
                return ParseStatus.BAD_RESPONSE;
            }
            pos++;
        }
        if (store.readByte(base + pos + 1) != HttpBytes.LF) {
            return ParseStatus.BAD_RESPONSE;
        }
        pos += 2;
        int transferEncodings = 0;
        while (pos < end - 2) {
            final int nameStart = pos;
            while (HttpBytes.isTokenChar(store.readByte(base + pos))) {
                pos++;
            }
            final int nameLength = pos - nameStart;
            if (nameLength == 0 || store.readByte(base + pos) != HttpBytes.COLON) {
                return ParseStatus.BAD_RESPONSE;
            }
            pos++;
            while (store.readByte(base + pos) == HttpBytes.SP || store.readByte(base + pos) == HttpBytes.HTAB) {
                pos++;
            }
            final int valueStart = pos;
            int valueEnd = pos;
            byte b;
            while ((b = store.readByte(base + pos)) != HttpBytes.CR) {
                if (isControl(b)) {
                    return ParseStatus.BAD_RESPONSE;
                }
                pos++;
                if (b != HttpBytes.SP && b != HttpBytes.HTAB) {
                    valueEnd = pos;
                }
            }
            if (store.readByte(base + pos + 1) != HttpBytes.LF) {
                return ParseStatus.BAD_RESPONSE;
            }
            pos += 2;
            final int valueLength = valueEnd - valueStart;
            final int id = HeaderNames.lookup(store, base + nameStart, nameLength);
            if (HeaderNames.isHopByHop(id) || id == HeaderNames.OTHER && nameLength == TRAILER.length
                && HeaderNames.equalsIgnoreCase(store, base + nameStart, nameLength, TRAILER)) {
                head.hopByHopFields++;
            }
            if (id == HeaderNames.CONTENT_LENGTH) {
                final long value = parseLength(store, base + valueStart, valueLength);
                if (value < 0 || (head.contentLength >= 0 && head.contentLength != value)) {
                    return ParseStatus.BAD_RESPONSE;
                }
                head.contentLength = value;
            } else if (id == HeaderNames.TRANSFER_ENCODING) {
                transferEncodings++;
                // Only "chunked" can be relayed verbatim and delimited; another final coding means close.
                head.chunked = isLastToken(store, base + valueStart, valueLength, CHUNKED);
            } else if (id == HeaderNames.CONNECTION) {
                head.closeToken |= RequestHeadParser.containsToken(store, base + valueStart, valueLength, CLOSE);
                head.keepAliveToken |=
                    RequestHeadParser.containsToken(store, base + valueStart, valueLength, KEEP_ALIVE);
            }
        }
        if (transferEncodings > 0) {
            if (head.contentLength != RequestHead.NO_CONTENT_LENGTH) {
                // Both framings: which one the client's next hop believes is unknowable; refused, as nginx does.
                return ParseStatus.BAD_RESPONSE;
            }
            // A non-chunked final coding runs to the close.
            if (transferEncodings > 1 || !head.chunked) {
                head.chunked = false;
                head.closeToken = true;
            }
        }
        return ParseStatus.COMPLETE;
    }

    /**
     * @return {@code true} when the last element of the comma-separated list is {@code token}, ignoring case
     *         and white space (RFC 9112 6.3: chunked frames the body only as the final coding).
     */
    private static boolean isLastToken(final BytesStore<?, ?> store, final long offset, final int length,
        final byte[] token) {
        int stop = length;
        while (stop > 0 && isWhite(store.readByte(offset + stop - 1))) {
            stop--;
        }
        int start = stop;
        while (start > 0 && store.readByte(offset + start - 1) != ',') {
            start--;
        }
        while (start < stop && isWhite(store.readByte(offset + start))) {
            start++;
        }
        return HeaderNames.equalsIgnoreCase(store, offset + start, stop - start, token);
    }

    /** @return {@code true} for a byte no status line or field value may hold: a control other than HTAB. */
    private static boolean isControl(final byte b) {
        return (b >= 0 && b < HttpBytes.SP && b != HttpBytes.HTAB) || b == 0x7F;
    }

    private static boolean isWhite(final byte b) {
        return b == HttpBytes.SP || b == HttpBytes.HTAB;
    }

    private static long parseLength(final BytesStore<?, ?> store, final long offset, final int length) {
        if (length == 0 || length > RequestHeadParser.MAX_CONTENT_LENGTH_DIGITS) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < length; i++) {
            final byte b = store.readByte(offset + i);
            if (b < '0' || b > '9') {
                return -1;
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }
}
