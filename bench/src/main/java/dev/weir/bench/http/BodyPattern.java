package dev.weir.bench.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The deterministic body every demo-origin download carries: byte {@code i} of a body is
 * {@code ALPHABET[i % PERIOD_BYTES]}, so any client can check a body of any length byte by byte.
 * <pre>
 *   offset  0         10                                  61
 *           0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy0123...
 * </pre>
 * The period is the prime 61, so a block lost or repeated by a proxy (blocks are powers of two) shifts
 * the pattern and is detected.
 * <p>
 * <b>Note:</b> stateless and thread-safe; bodies are produced from one preallocated tile, never materialised.
 */
public final class BodyPattern {

    /** Length of the repeating unit in bytes. */
    public static final int PERIOD_BYTES = 61;

    /** Largest number of bytes one {@link #copy} step moves; a multiple of {@link #PERIOD_BYTES}. */
    public static final int TILE_BYTES = PERIOD_BYTES * 1024;

    private static final byte[] ALPHABET =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy".getBytes(StandardCharsets.US_ASCII);

    /** The pattern from offset 0, one period longer than a tile so any phase can be copied contiguously. */
    private static final byte[] TILE = new byte[TILE_BYTES + PERIOD_BYTES];

    static {
        for (int i = 0; i < TILE.length; i++) {
            TILE[i] = ALPHABET[i % PERIOD_BYTES];
        }
    }

    private BodyPattern() {
    }

    /**
     * The pattern byte at a body offset.
     *
     * @param offset offset in the body, from 0.
     * @return the byte that belongs there.
     */
    public static byte byteAt(final long offset) {
        return ALPHABET[(int) (offset % PERIOD_BYTES)];
    }

    /**
     * Copies the pattern bytes of body offsets {@code [offset, offset + length)} into {@code dst}.
     *
     * @param offset body offset of the first byte.
     * @param dst    destination array.
     * @param dstOff first index written in {@code dst}.
     * @param length bytes to copy.
     */
    public static void copy(final long offset, final byte[] dst, final int dstOff, final int length) {
        int phase = (int) (offset % PERIOD_BYTES);
        int done = 0;
        while (done < length) {
            final int n = Math.min(length - done, TILE_BYTES);
            System.arraycopy(TILE, phase, dst, dstOff + done, n);
            done += n;
            phase = (phase + n) % PERIOD_BYTES;
        }
    }

    /**
     * Checks received bytes against the pattern.
     *
     * @param src    received bytes.
     * @param srcOff first index to check.
     * @param length bytes to check.
     * @param offset body offset of {@code src[srcOff]}.
     * @return -1 when every byte matches, else the body offset of the first wrong byte.
     */
    public static long mismatch(final byte[] src, final int srcOff, final int length, final long offset) {
        int phase = (int) (offset % PERIOD_BYTES);
        int done = 0;
        while (done < length) {
            final int n = Math.min(length - done, TILE_BYTES);
            final int at = Arrays.mismatch(src, srcOff + done, srcOff + done + n, TILE, phase, phase + n);
            if (at >= 0) {
                return offset + done + at;
            }
            done += n;
            phase = (phase + n) % PERIOD_BYTES;
        }
        return -1;
    }
}
