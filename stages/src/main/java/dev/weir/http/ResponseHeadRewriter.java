package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Rebuilds an origin's response head for the client in place, allocation-free (RFC 9110 7.6.1, RFC 9112 6.3).
 * <p>
 * The status line is kept with Weir's own version ({@code HTTP/1.1}); {@code Connection}, {@code Keep-Alive},
 * {@code Proxy-Connection}, {@code TE}, {@code Trailer} and {@code Upgrade} are dropped, and so is every field
 * the origin's {@code Connection} names (except the framing fields, which Weir relays and frames by); Weir
 * writes its own {@code Connection} for the client side. The rebuilt head is written so that it ends where the
 * origin's ended, the body following it unmoved:
 * <pre>
 *   block: 0 ........ HEAD_ROOM ..................... src+length ...... filled
 *                     | origin's head                 | body ...
 *          | compacted new head |                                        (1: copy the kept lines down)
 *                         | new head, moved to end at src+length | body (2: the part starts here)
 * </pre>
 * Copying down is safe because the new head starts {@link #HEAD_ROOM} bytes earlier than the old one and only
 * ever loses lines, while the one line it adds is shorter than the room.
 * <p>
 * <b>Note:</b> one instance per stage thread; the head must have been accepted by {@link ResponseHeadParser}.
 */
public final class ResponseHeadRewriter {

    /** Bytes kept free before a response head in the block, for the {@code Connection} line Weir adds. */
    public static final int HEAD_ROOM = 32;
    /** No {@code Connection} field: an HTTP/1.1 client keeps the connection by default. */
    public static final int CONNECTION_NONE = 0;
    /** {@code Connection: keep-alive}, for an HTTP/1.0 client whose connection is kept. */
    public static final int CONNECTION_KEEP_ALIVE = 1;
    /** {@code Connection: close}. */
    public static final int CONNECTION_CLOSE = 2;
    /** {@code Connection: Upgrade}, and the origin's {@code Upgrade} kept: a 101 that opens a tunnel. */
    public static final int CONNECTION_UPGRADE = 3;
    /** {@link #rewrite}: the origin's {@code Connection} names more fields than Weir tracks. */
    public static final int TOO_MANY_TOKENS = -1;

    /** Most fields one {@code Connection} list may name, and the bytes of their names together. */
    static final int MAX_CONNECTION_TOKENS = 16;
    static final int MAX_CONNECTION_TOKEN_BYTES = 512;

    private static final byte[] VERSION = HttpBytes.ascii("HTTP/1.1");
    private static final byte[] TRAILER = HttpBytes.ascii("trailer");
    private static final byte[][] CONNECTION_LINES = {
        new byte[0], HttpBytes.ascii("Connection: keep-alive\r\n"), HttpBytes.ascii("Connection: close\r\n"),
        HttpBytes.ascii("Connection: Upgrade\r\n"),
    };

    private final byte[] tokenBytes = new byte[MAX_CONNECTION_TOKEN_BYTES];
    private final int[] tokenStart = new int[MAX_CONNECTION_TOKENS];
    private final int[] tokenLength = new int[MAX_CONNECTION_TOKENS];
    private int tokens;

    /**
     * Rebuild the head at {@code [src, src + length)} of the block at {@code base}.
     *
     * @param store                the arena's store.
     * @param base                 absolute offset of the block.
     * @param src                  start of the origin's head in the block, at least {@link #HEAD_ROOM}.
     * @param length               the origin's head length, including its final CRLF.
     * @param connection           a {@code CONNECTION_*} constant: the field Weir adds.
     * @param dropTransferEncoding drop {@code Transfer-Encoding} too (the body is sent decoded).
     * @return the start of the rebuilt head in the block (it ends at {@code src + length}), or
     *         {@link #TOO_MANY_TOKENS}.
     */
    public int rewrite(final BytesStore<?, ?> store, final long base, final int src, final int length,
        final int connection, final boolean dropTransferEncoding) {
        final long from = base + src;
        final int end = length - 2;
        final int lineEnd = lineEnd(store, from, 0) + 2;
        if (!collectConnectionTokens(store, from, lineEnd, end)) {
            return TOO_MANY_TOKENS;
        }
        store.write(base, VERSION, 0, VERSION.length);
        int dst = VERSION.length;
        store.move(from + VERSION.length, base + dst, lineEnd - VERSION.length);
        dst += lineEnd - VERSION.length;
        for (int pos = lineEnd; pos < end; ) {
            final int next = lineEnd(store, from, pos) + 2;
            final int colon = colon(store, from, pos);
            final int id = HeaderNames.lookup(store, from + pos, colon - pos);
            final boolean keepUpgrade = id == HeaderNames.UPGRADE && connection == CONNECTION_UPGRADE;
            if (keepUpgrade || !drops(store, from + pos, colon - pos, id, dropTransferEncoding)) {
                store.move(from + pos, base + dst, next - pos);
                dst += next - pos;
            }
            pos = next;
        }
        final byte[] line = CONNECTION_LINES[connection];
        store.write(base + dst, line, 0, line.length);
        dst += line.length;
        store.writeByte(base + dst++, HttpBytes.CR);
        store.writeByte(base + dst++, HttpBytes.LF);
        final int start = src + length - dst;
        store.move(base, base + start, dst);
        return start;
    }

    private boolean drops(final BytesStore<?, ?> store, final long name, final int nameLength, final int id,
        final boolean dropTransferEncoding) {
        if (HeaderNames.isHopByHop(id) || id == HeaderNames.OTHER
            && HeaderNames.equalsIgnoreCase(store, name, nameLength, TRAILER)) {
            return true;
        }
        if (id == HeaderNames.TRANSFER_ENCODING) {
            return dropTransferEncoding;
        }
        if (id == HeaderNames.CONTENT_LENGTH) {
            // Framing fields stay whatever Connection says: dropping them would change where the body ends.
            return false;
        }
        for (int t = 0; t < tokens; t++) {
            if (tokenLength[t] == nameLength && matches(store, name, tokenStart[t], nameLength)) {
                return true;
            }
        }
        return false;
    }

    /** Copy the names listed in every {@code Connection} field, lower-cased, before the lines move. */
    private boolean collectConnectionTokens(final BytesStore<?, ?> store, final long from, final int first,
        final int end) {
        tokens = 0;
        int used = 0;
        for (int pos = first; pos < end; ) {
            final int next = lineEnd(store, from, pos) + 2;
            final int colon = colon(store, from, pos);
            if (HeaderNames.lookup(store, from + pos, colon - pos) == HeaderNames.CONNECTION) {
                int i = colon + 1;
                final int valueEnd = next - 2;
                while (i < valueEnd) {
                    while (i < valueEnd && isSeparator(store.readByte(from + i))) {
                        i++;
                    }
                    final int start = i;
                    while (i < valueEnd && !isSeparator(store.readByte(from + i))) {
                        i++;
                    }
                    final int n = i - start;
                    if (n == 0) {
                        continue;
                    }
                    if (tokens == MAX_CONNECTION_TOKENS || used + n > tokenBytes.length) {
                        return false;
                    }
                    tokenStart[tokens] = used;
                    tokenLength[tokens++] = n;
                    for (int k = 0; k < n; k++) {
                        tokenBytes[used++] = lower(store.readByte(from + start + k));
                    }
                }
            }
            pos = next;
        }
        return true;
    }

    private boolean matches(final BytesStore<?, ?> store, final long name, final int token, final int length) {
        for (int k = 0; k < length; k++) {
            if (lower(store.readByte(name + k)) != tokenBytes[token + k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSeparator(final byte b) {
        return b == ',' || b == HttpBytes.SP || b == HttpBytes.HTAB;
    }

    private static byte lower(final byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    /** @return the offset of the CR ending the line that starts at {@code pos}. */
    private static int lineEnd(final BytesStore<?, ?> store, final long from, final int pos) {
        int i = pos;
        while (store.readByte(from + i) != HttpBytes.CR) {
            i++;
        }
        return i;
    }

    private static int colon(final BytesStore<?, ?> store, final long from, final int pos) {
        int i = pos;
        while (store.readByte(from + i) != HttpBytes.COLON) {
            i++;
        }
        return i;
    }
}
