package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Follows a chunked body (RFC 9112 7.1) byte by byte to find where it ends, without changing it: Weir relays
 * chunked bodies verbatim, so it only needs to know which bytes belong to the body.
 * <pre>
 *   SIZE [; ext] CRLF  DATA... CRLF   ...   0 CRLF  [trailer-field CRLF]...  CRLF
 * </pre>
 * <p>
 * <b>Note:</b> one instance per direction per slot; {@link #reset()} before each body.
 */
public final class ChunkedScanner {

    /** {@link #scan}: the body has ended within the bytes given. */
    public static final int DONE = -1;
    /** {@link #scan}: the framing is malformed. */
    public static final int MALFORMED = -2;

    /** Longest chunk size accepted, in hex digits: keeps sizes inside a long. */
    public static final int MAX_SIZE_DIGITS = 15;
    /** Longest chunk extension or trailer line accepted, in bytes. */
    public static final int DEFAULT_MAX_LINE_LENGTH = 4096;

    static final int SIZE = 0;
    static final int EXTENSION = 1;
    static final int SIZE_LF = 2;
    static final int DATA = 3;
    static final int DATA_CR = 4;
    static final int DATA_LF = 5;
    static final int TRAILER_START = 6;
    static final int TRAILER_LINE = 7;
    static final int TRAILER_LF = 8;
    static final int LAST_LF = 9;
    static final int ENDED = 10;

    private int state;
    private long chunkRemaining;
    private int digits;
    private int lineLength;
    private int consumed;
    private int decoded;

    /** A scanner at the start of a body. */
    public ChunkedScanner() {
        reset();
    }

    /** Prepare for a new body. */
    public void reset() {
        state = SIZE;
        chunkRemaining = 0;
        digits = 0;
        lineLength = 0;
        consumed = 0;
        decoded = 0;
    }

    /** @return {@code true} once the last chunk and trailers have been seen. */
    public boolean isDone() {
        return state == ENDED;
    }

    /** @return after a {@link #DONE} result, how many of the given bytes belonged to the body. */
    public int consumed() {
        return consumed;
    }

    /**
     * Follow the next bytes of the body.
     *
     * @param store  the bytes.
     * @param from   absolute offset of the first byte.
     * @param length number of bytes.
     * @return {@link #DONE} when the body ended within these bytes ({@link #consumed()} tells where),
     *         {@link #MALFORMED}, or otherwise the number of bytes taken (all of them).
     */
    public int scan(final BytesStore<?, ?> store, final long from, final int length) {
        return follow(store, from, length, false);
    }

    /**
     * Follow the next bytes of the body like {@link #scan}, and remove the chunked framing from them in place:
     * the chunk data is moved down to start at {@code from}, sizes, extensions, CRLFs and trailers are dropped.
     * For a recipient that cannot take chunked coding (an HTTP/1.0 client).
     *
     * @param store  the bytes.
     * @param from   absolute offset of the first byte.
     * @param length number of bytes.
     * @return as {@link #scan}; {@link #decoded()} then tells how many data bytes now start at {@code from}.
     */
    public int decode(final BytesStore<?, ?> store, final long from, final int length) {
        return follow(store, from, length, true);
    }

    /** @return after {@link #decode}, the data bytes it left at the start of the given bytes. */
    public int decoded() {
        return decoded;
    }

    private int follow(final BytesStore<?, ?> store, final long from, final int length, final boolean decode) {
        int i = 0;
        int kept = 0;
        while (i < length) {
            if (state == DATA) {
                final int take = (int) Math.min(chunkRemaining, length - i);
                if (decode && kept != i) {
                    store.move(from + i, from + kept, take);
                }
                kept += take;
                chunkRemaining -= take;
                i += take;
                if (chunkRemaining == 0) {
                    state = DATA_CR;
                }
                continue;
            }
            final byte b = store.readByte(from + i);
            i++;
            if (!step(b)) {
                return MALFORMED;
            }
            if (state == ENDED) {
                consumed = i;
                decoded = kept;
                return DONE;
            }
        }
        decoded = kept;
        return length;
    }

    private boolean step(final byte b) {
        switch (state) {
            case SIZE:
                return onSizeByte(b);
            case EXTENSION:
                if (b == HttpBytes.CR) {
                    state = SIZE_LF;
                    return true;
                }
                return ++lineLength <= DEFAULT_MAX_LINE_LENGTH && b != HttpBytes.LF;
            case SIZE_LF:
                if (b != HttpBytes.LF) {
                    return false;
                }
                state = chunkRemaining == 0 ? TRAILER_START : DATA;
                return true;
            case DATA_CR:
                state = DATA_LF;
                return b == HttpBytes.CR;
            case DATA_LF:
                state = SIZE;
                digits = 0;
                return b == HttpBytes.LF;
            case TRAILER_START:
                if (b == HttpBytes.CR) {
                    state = LAST_LF;
                    return true;
                }
                state = TRAILER_LINE;
                lineLength = 1;
                return HttpBytes.isTokenChar(b);
            case TRAILER_LINE:
                if (b == HttpBytes.CR) {
                    state = TRAILER_LF;
                    return true;
                }
                return ++lineLength <= DEFAULT_MAX_LINE_LENGTH && b != HttpBytes.LF;
            case TRAILER_LF:
                state = TRAILER_START;
                return b == HttpBytes.LF;
            case LAST_LF:
                state = ENDED;
                return b == HttpBytes.LF;
            default:
                return false;
        }
    }

    private boolean onSizeByte(final byte b) {
        final int hex = hexValue(b);
        if (hex >= 0) {
            if (++digits > MAX_SIZE_DIGITS) {
                return false;
            }
            chunkRemaining = (chunkRemaining << 4) | hex;
            return true;
        }
        if (digits == 0) {
            return false;
        }
        if (b == HttpBytes.CR) {
            state = SIZE_LF;
            return true;
        }
        if (b == ';' || b == HttpBytes.SP || b == HttpBytes.HTAB) {
            state = EXTENSION;
            lineLength = 0;
            return true;
        }
        return false;
    }

    private static int hexValue(final byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
