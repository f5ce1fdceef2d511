package dev.weir.bench.http;

/**
 * Incremental decoder of a chunked body: strips chunk sizes, extensions and trailers and points at the data.
 * <pre>
 *   1a;ext=1\r\n  &lt;26 data bytes&gt;\r\n   0\r\n   Trailer: x\r\n   \r\n
 *   SIZE  EXT  LF DATA              CR LF SIZE LF  TRAILER          END
 * </pre>
 * Feed buffered bytes with {@link #decode}; after each call {@link #dataLength()} bytes at {@link #dataStart()}
 * are body data (possibly none). Repeat until {@link #isDone()} or the input is used up.
 * <p>
 * <b>Note:</b> not thread-safe; one per connection, {@link #reset()} before each body.
 */
public final class ChunkedDecoder {

    /** Reading hex digits of a chunk size. */
    public static final int SIZE = 0;
    /** Skipping a chunk extension up to CR. */
    public static final int EXTENSION = 1;
    /** Expecting the LF after a chunk-size line. */
    public static final int SIZE_LF = 2;
    /** Inside chunk data. */
    public static final int DATA = 3;
    /** Expecting the CR after chunk data. */
    public static final int DATA_CR = 4;
    /** Expecting the LF after chunk data. */
    public static final int DATA_LF = 5;
    /** At the start of a trailer line or the final blank line. */
    public static final int TRAILER_START = 6;
    /** Inside a trailer line. */
    public static final int TRAILER = 7;
    /** Expecting the LF of the final blank line. */
    public static final int END_LF = 8;
    /** The body is complete. */
    public static final int DONE = 9;
    /** Terminal: the framing is malformed. */
    public static final int ERROR = 10;

    /** Largest accepted chunk size: 2^56 bytes. */
    public static final long DEFAULT_MAX_CHUNK_BYTES = 1L << 56;

    private int state;
    private long chunkRemaining;
    private boolean sawDigit;
    private int dataStart;
    private int dataLength;
    private long bodyBytes;

    /** Prepares for a new body. */
    public void reset() {
        state = SIZE;
        chunkRemaining = 0;
        sawDigit = false;
        dataStart = 0;
        dataLength = 0;
        bodyBytes = 0;
    }

    /**
     * Consumes framing and at most one run of data.
     *
     * @param buf          bytes.
     * @param from         first unread index.
     * @param to           index after the last buffered byte.
     * @param maxDataBytes most data bytes to hand out in this call (back-pressure), at least 1.
     * @return how many bytes of {@code buf} were consumed, data included.
     */
    public int decode(final byte[] buf, final int from, final int to, final int maxDataBytes) {
        dataLength = 0;
        int i = from;
        while (i < to && state != DONE && state != ERROR) {
            if (state == DATA) {
                final int n = (int) Math.min(Math.min(chunkRemaining, to - i), maxDataBytes);
                dataStart = i;
                dataLength = n;
                chunkRemaining -= n;
                bodyBytes += n;
                i += n;
                if (chunkRemaining == 0) {
                    state = DATA_CR;
                }
                return i - from;
            }
            step(buf[i++]);
        }
        return i - from;
    }

    private void step(final byte b) {
        switch (state) {
            case SIZE:
                final int digit = hexValue(b);
                if (digit >= 0) {
                    if (chunkRemaining > DEFAULT_MAX_CHUNK_BYTES >> 4) {
                        state = ERROR;
                        return;
                    }
                    chunkRemaining = (chunkRemaining << 4) | digit;
                    sawDigit = true;
                } else if (sawDigit && (b == ';' || b == ' ' || b == '\t')) {
                    state = EXTENSION;
                } else if (sawDigit && b == '\r') {
                    state = SIZE_LF;
                } else {
                    state = ERROR;
                }
                break;
            case EXTENSION:
                if (b == '\r') {
                    state = SIZE_LF;
                }
                break;
            case SIZE_LF:
                state = b != '\n' ? ERROR : chunkRemaining == 0 ? TRAILER_START : DATA;
                break;
            case DATA_CR:
                state = b == '\r' ? DATA_LF : ERROR;
                break;
            case DATA_LF:
                state = b == '\n' ? SIZE : ERROR;
                sawDigit = false;
                break;
            case TRAILER_START:
                state = b == '\r' ? END_LF : TRAILER;
                break;
            case TRAILER:
                if (b == '\n') {
                    state = TRAILER_START;
                }
                break;
            case END_LF:
                state = b == '\n' ? DONE : ERROR;
                break;
            default:
                state = ERROR;
                break;
        }
    }

    private static int hexValue(final byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        final int lower = b | 0x20;
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    /** @return index of the data handed out by the last {@link #decode} call. */
    public int dataStart() {
        return dataStart;
    }

    /** @return length of the data handed out by the last {@link #decode} call; 0 for none. */
    public int dataLength() {
        return dataLength;
    }

    /** @return data bytes decoded since {@link #reset()}. */
    public long bodyBytes() {
        return bodyBytes;
    }

    /** @return whether the terminating chunk and trailers have been read. */
    public boolean isDone() {
        return state == DONE;
    }

    /** @return whether the framing was malformed. */
    public boolean isError() {
        return state == ERROR;
    }

    /** @return the current state, one of the constants above. */
    public int state() {
        return state;
    }
}
