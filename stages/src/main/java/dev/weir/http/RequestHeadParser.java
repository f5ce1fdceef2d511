package dev.weir.http;

import java.util.Arrays;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * A zero-allocation HTTP/1.1 request head parser over a Chronicle {@link BytesStore} (RFC 9112).
 * <p>
 * The bytes are scanned for the empty line that ends the head, resuming where the last call stopped; once it
 * is there the whole head is parsed in one pass into a {@link RequestHead} flyweight. Framing follows the
 * RFC's defences against request smuggling: {@code Transfer-Encoding} with {@code Content-Length}, differing
 * {@code Content-Length}s, folded lines, bare LFs and white space before the colon are refused with 400.
 * <p>
 * The limits come from the head's {@link RequestPolicy}: a request line longer than
 * {@code maxRequestLineBytes} gets 414 as soon as that many bytes have arrived without a line end (before the
 * head is whole), more than {@code maxHeaders} fields 431, a {@code Content-Length} over {@code maxBodyBytes}
 * 413. The target must be origin-form, absolute-form ({@code http} or {@code https}; its authority becomes the
 * request's host) or {@code *} with {@code OPTIONS}; the host must be a valid {@code Host} ({@link HostSyntax}).
 * <p>
 * {@code Connection} fields are read in one pass after the other fields: every droppable field name goes into
 * the head's hash table, then each token of each {@code Connection} value is looked up once and marks the
 * fields it names, so the work is linear in the head, however many fields and tokens there are.
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
    private static final byte[] UPGRADE = HttpBytes.ascii("upgrade");
    private static final byte[] WEBSOCKET = HttpBytes.ascii("websocket");
    private static final byte[] CONTINUE = HttpBytes.ascii("100-continue");
    private static final byte[] HTTP_SCHEME = HttpBytes.ascii("http://");
    private static final byte[] HTTPS_SCHEME = HttpBytes.ascii("https://");
    /** Mixed into the name hash so that colliding names cannot be prepared without knowing the process. */
    private static final int HASH_SEED = (int) System.nanoTime() * 0x9E3779B9 | 1;

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
        final int maxLine = head.policy.maxRequestLineBytes();
        if (head.lineFeed < 0) {
            // No line end yet: the line so far, less a CR that may end it, is already too long, or cannot fit.
            final int lineSoFar = length - head.start
                - (length > head.start && store.readByte(base + length - 1) == HttpBytes.CR ? 1 : 0);
            if (lineSoFar > maxLine || length >= capacity) {
                return ParseStatus.URI_TOO_LONG;
            }
        } else if (head.lineFeed - 1 - head.start > maxLine) {
            return ParseStatus.URI_TOO_LONG;
        }
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
        i = Math.max(i, head.start);
        final int headFrom = head.start + 3;
        for (; i < length; i++) {
            if (store.readByte(base + i) != HttpBytes.LF) {
                continue;
            }
            if (head.lineFeed < 0) {
                head.lineFeed = i;
            }
            if (i >= headFrom && store.readByte(base + i - 1) == HttpBytes.CR
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
        final int targetStatus = parseTarget(store, base, head);
        if (targetStatus != ParseStatus.COMPLETE) {
            return targetStatus;
        }
        return parseFields(store, base, pos, end, head);
    }

    /**
     * Classify the target (RFC 9112 3.2): origin-form, absolute-form with an {@code http} or {@code https}
     * scheme and a valid authority, or {@code *} with {@code OPTIONS}; authority-form (CONNECT) never gets here.
     */
    private static int parseTarget(final BytesStore<?, ?> store, final long base, final RequestHead head) {
        final int start = head.targetStart;
        final int length = head.targetLength;
        final byte first = store.readByte(base + start);
        if (first == '/') {
            head.targetForm = RequestHead.ORIGIN_FORM;
            head.pathStart = start;
            head.pathLength = length;
            return ParseStatus.COMPLETE;
        }
        if (first == '*' && length == 1) {
            if (head.method != RequestHead.OPTIONS) {
                return ParseStatus.BAD_REQUEST;
            }
            head.targetForm = RequestHead.ASTERISK_FORM;
            head.pathStart = start;
            head.pathLength = 1;
            return ParseStatus.COMPLETE;
        }
        final int scheme = startsWithIgnoreCase(store, base + start, length, HTTP_SCHEME) ? HTTP_SCHEME.length
            : startsWithIgnoreCase(store, base + start, length, HTTPS_SCHEME) ? HTTPS_SCHEME.length : -1;
        if (scheme < 0) {
            return ParseStatus.BAD_REQUEST;
        }
        final int authorityStart = start + scheme;
        final int end = start + length;
        int i = authorityStart;
        while (i < end && store.readByte(base + i) != '/' && store.readByte(base + i) != '?') {
            i++;
        }
        if (!HostSyntax.isValid(store, base + authorityStart, i - authorityStart)) {
            return ParseStatus.BAD_REQUEST;
        }
        head.targetForm = RequestHead.ABSOLUTE_FORM;
        head.hostStart = authorityStart;
        head.hostLength = i - authorityStart;
        head.pathStart = i;
        head.pathLength = end - i;
        return ParseStatus.COMPLETE;
    }

    private static boolean startsWithIgnoreCase(final BytesStore<?, ?> store, final long offset, final int length,
        final byte[] lowerCase) {
        return length >= lowerCase.length && HeaderNames.equalsIgnoreCase(store, offset, lowerCase.length, lowerCase);
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
        int connections = 0;
        final int lastLine = end - 2;
        while (pos < lastLine) {
            final int index = head.headerCount;
            if (index == head.maxHeaders) {
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
            if (pos < lastLine && isWhite(store.readByte(base + pos))) {
                // The next line is an obsolete fold of this value (RFC 9112 5.2): refused before the value is
                // read, so a folded Transfer-Encoding is a 400 like any other fold, never a 501.
                return ParseStatus.BAD_REQUEST;
            }

            final int id = HeaderNames.lookup(store, base + nameStart, nameLength);
            final int valueLength = valueEnd - valueStart;
            head.addField(nameStart, nameLength, valueStart, valueLength, id);

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
                    if (valueLength == 0) {
                        return ParseStatus.BAD_REQUEST;
                    }
                    if (!HeaderNames.equalsIgnoreCase(store, base + valueStart, valueLength, CHUNKED)) {
                        return ParseStatus.NOT_IMPLEMENTED;
                    }
                    head.chunked = true;
                    break;
                case HeaderNames.HOST:
                    hosts++;
                    if (!HostSyntax.isValid(store, base + valueStart, valueLength)) {
                        return ParseStatus.BAD_REQUEST;
                    }
                    if (head.targetForm != RequestHead.ABSOLUTE_FORM) {
                        head.hostStart = valueStart;
                        head.hostLength = valueLength;
                    }
                    break;
                case HeaderNames.CONNECTION:
                    connections++;
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
        if (head.policy.bodyTooLarge(head.contentLength)) {
            return ParseStatus.CONTENT_TOO_LARGE;
        }
        final int tokens = connections == 0 ? 0 : scanConnection(store, base, head);
        head.keepAlive = (tokens & CLOSE_TOKEN) == 0 && (head.version == 11 || (tokens & KEEP_ALIVE_TOKEN) != 0);
        head.upgrade = (tokens & UPGRADE_TOKEN) != 0 && isWebSocketHandshake(store, base, head);
        return ParseStatus.COMPLETE;
    }

    /**
     * @return {@code true} for an HTTP/1.1 GET without a body whose {@code Upgrade} names {@code websocket}: the
     *         one upgrade Weir tunnels (RFC 6455 4.1). Any other upgrade is forwarded without its Upgrade fields.
     */
    private static boolean isWebSocketHandshake(final BytesStore<?, ?> store, final long base,
        final RequestHead head) {
        if (head.method != RequestHead.GET || head.version != 11 || head.hasBody()) {
            return false;
        }
        for (int i = 0; i < head.headerCount; i++) {
            if (head.headerId(i) == HeaderNames.UPGRADE
                && containsToken(store, base + head.valueStart(i), head.valueLength(i), WEBSOCKET)) {
                return true;
            }
        }
        return false;
    }

    /** {@link #scanConnection}: a {@code close} token was seen. */
    private static final int CLOSE_TOKEN = 1;
    /** {@link #scanConnection}: a {@code keep-alive} token was seen. */
    private static final int KEEP_ALIVE_TOKEN = 2;
    /** {@link #scanConnection}: an {@code upgrade} token was seen. */
    private static final int UPGRADE_TOKEN = 4;

    /**
     * Read every {@code Connection} value once: note {@code close} and {@code keep-alive}, and mark each field
     * whose name a token lists (RFC 9110 7.6.1), through a hash table of the droppable fields' names, so the work
     * is linear in the head's bytes rather than fields x tokens.
     *
     * @return {@link #CLOSE_TOKEN} and {@link #KEEP_ALIVE_TOKEN} bits.
     */
    private static int scanConnection(final BytesStore<?, ?> store, final long base, final RequestHead head) {
        final int[] buckets = head.nameBuckets;
        final int mask = buckets.length - 1;
        Arrays.fill(buckets, 0);
        int steps = buckets.length;
        final int count = head.headerCount;
        for (int i = 0; i < count; i++) {
            final int id = head.headerId(i);
            if (HeaderNames.isProtected(id) || HeaderNames.isHopByHop(id)) {
                continue;
            }
            final int bucket = hash(store, base + head.nameStart(i), head.nameLength(i)) & mask;
            steps += head.nameLength(i);
            head.linkName(i, buckets[bucket]);
            buckets[bucket] = i + 1;
        }
        int tokens = 0;
        for (int c = 0; c < count; c++) {
            if (head.headerId(c) != HeaderNames.CONNECTION) {
                continue;
            }
            final long list = base + head.valueStart(c);
            final int listLength = head.valueLength(c);
            int i = 0;
            while (i < listLength) {
                byte b = store.readByte(list + i);
                while (b == ',' || isWhite(b)) {
                    steps++;
                    if (++i == listLength) {
                        break;
                    }
                    b = store.readByte(list + i);
                }
                final int start = i;
                int h = HASH_SEED;
                while (i < listLength && (b = store.readByte(list + i)) != ',' && !isWhite(b)) {
                    h = mix(h, b);
                    i++;
                }
                final int tokenLength = i - start;
                steps += tokenLength;
                if (tokenLength == 0) {
                    continue;
                }
                if (HeaderNames.equalsIgnoreCase(store, list + start, tokenLength, CLOSE)) {
                    tokens |= CLOSE_TOKEN;
                } else if (HeaderNames.equalsIgnoreCase(store, list + start, tokenLength, KEEP_ALIVE)) {
                    tokens |= KEEP_ALIVE_TOKEN;
                } else if (HeaderNames.equalsIgnoreCase(store, list + start, tokenLength, UPGRADE)) {
                    tokens |= UPGRADE_TOKEN;
                }
                for (int f = buckets[finish(h) & mask]; f != 0;
                    f = head.nextInBucket(f - 1)) {
                    final int field = f - 1;
                    steps++;
                    if (head.nameLength(field) == tokenLength && !head.isConnectionNamed(field)) {
                        steps += tokenLength;
                        if (sameIgnoringCase(store, list + start, base + head.nameStart(field), tokenLength)) {
                            head.markConnectionNamed(field);
                        }
                    }
                }
            }
        }
        head.connectionScanSteps = steps;
        return tokens;
    }

    private static int hash(final BytesStore<?, ?> store, final long offset, final int length) {
        int h = HASH_SEED;
        for (int i = 0; i < length; i++) {
            h = mix(h, store.readByte(offset + i));
        }
        return finish(h);
    }

    private static int mix(final int h, final byte b) {
        return (h ^ HttpBytes.lower(b)) * 0x01000193 + HASH_SEED;
    }

    private static int finish(final int h) {
        final int x = h * 0x9E3779B9;
        return x ^ x >>> 16;
    }

    private static boolean sameIgnoringCase(final BytesStore<?, ?> store, final long a, final long b,
        final int length) {
        for (int k = 0; k < length; k++) {
            if (HttpBytes.lower(store.readByte(a + k)) != HttpBytes.lower(store.readByte(b + k))) {
                return false;
            }
        }
        return true;
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
