package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Finds where a message body ends, for requests and responses alike (RFC 9112 6.3): no body, a length, chunked
 * coding, or everything until the sender closes. Weir relays bodies verbatim, so framing only decides which
 * received bytes belong to the body and when it is complete.
 * <p>
 * <b>Note:</b> one instance per half of a slot, used by whichever stage owns that half; {@link #begin} before
 * each body.
 */
public final class BodyFramer {

    /** No body: complete at once. */
    public static final int NONE = 0;
    /** {@code Content-Length} bytes. */
    public static final int LENGTH = 1;
    /** Chunked transfer coding. */
    public static final int CHUNKED = 2;
    /** Everything until the sender closes (responses only). */
    public static final int UNTIL_CLOSE = 3;
    /** Chunked transfer coding, removed in place as it is framed: for a recipient that cannot take it. */
    public static final int CHUNKED_DECODED = 4;

    /** {@link #frame}: the framing is malformed. */
    public static final int MALFORMED = -1;

    private final ChunkedScanner chunks = new ChunkedScanner();
    private int mode = NONE;
    private long remaining;
    private boolean complete = true;
    private long framed;

    /**
     * Start a body.
     *
     * @param bodyMode    one of the mode constants.
     * @param lengthBytes the length for {@link #LENGTH}, ignored otherwise.
     */
    public void begin(final int bodyMode, final long lengthBytes) {
        mode = bodyMode == LENGTH && lengthBytes <= 0 ? NONE : bodyMode;
        remaining = mode == LENGTH ? lengthBytes : 0;
        complete = mode == NONE;
        framed = 0;
        chunks.reset();
    }

    /**
     * Take the next received bytes {@code [from, to)} of a block at {@code base}.
     *
     * @param store the block's store.
     * @param base  absolute offset of the block.
     * @param from  first byte to frame, relative to the block.
     * @param to    end of the bytes received, relative to the block.
     * @return the end of the body bytes among them (bytes from there on belong to the next message; with
     *         {@link #CHUNKED_DECODED} the end of the data left after the framing was removed), or
     *         {@link #MALFORMED}.
     */
    public int frame(final BytesStore<?, ?> store, final long base, final int from, final int to) {
        int end;
        switch (mode) {
            case LENGTH: {
                final long take = Math.min(remaining, to - from);
                remaining -= take;
                complete = remaining == 0;
                end = from + (int) take;
                break;
            }
            case CHUNKED: {
                if (complete) {
                    end = from;
                    break;
                }
                final int result = chunks.scan(store, base + from, to - from);
                if (result == ChunkedScanner.MALFORMED) {
                    return MALFORMED;
                }
                complete = result == ChunkedScanner.DONE;
                end = complete ? from + chunks.consumed() : to;
                break;
            }
            case CHUNKED_DECODED: {
                if (complete) {
                    end = from;
                    break;
                }
                final int result = chunks.decode(store, base + from, to - from);
                if (result == ChunkedScanner.MALFORMED) {
                    return MALFORMED;
                }
                complete = result == ChunkedScanner.DONE;
                end = from + chunks.decoded();
                break;
            }
            case UNTIL_CLOSE:
                end = to;
                break;
            default:
                end = from;
                break;
        }
        framed += end - from;
        return end;
    }

    /** The sender closed: the end of an {@link #UNTIL_CLOSE} body. */
    public void onSenderClosed() {
        if (mode == UNTIL_CLOSE) {
            complete = true;
        }
    }

    /** @return {@code true} once the whole body has been framed. */
    public boolean isComplete() {
        return complete;
    }

    /** @return the mode of the current body. */
    public int mode() {
        return mode;
    }

    /** @return body bytes of a {@link #LENGTH} body not yet framed; 0 in the other modes. */
    public long remainingBytes() {
        return remaining;
    }

    /** @return body bytes framed so far. */
    public long framedBytes() {
        return framed;
    }
}
