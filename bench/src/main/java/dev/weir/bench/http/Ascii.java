package dev.weir.bench.http;

/**
 * Writes and reads ASCII numbers and constants in {@code byte[]} without creating strings.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class Ascii {

    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

    private Ascii() {
    }

    /**
     * Writes a non-negative decimal number.
     *
     * @param value number, at least 0.
     * @param dst   destination.
     * @param at    first index written.
     * @return the index after the last digit.
     */
    public static int putDecimal(final long value, final byte[] dst, final int at) {
        int digits = 1;
        for (long v = value / 10; v != 0; v /= 10) {
            digits++;
        }
        long v = value;
        for (int i = at + digits - 1; i >= at; i--) {
            dst[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        return at + digits;
    }

    /**
     * Writes a non-negative number in lower-case hex without leading zeros.
     *
     * @param value number, at least 0.
     * @param dst   destination.
     * @param at    first index written.
     * @return the index after the last digit.
     */
    public static int putHex(final long value, final byte[] dst, final int at) {
        int digits = 1;
        for (long v = value >>> 4; v != 0; v >>>= 4) {
            digits++;
        }
        long v = value;
        for (int i = at + digits - 1; i >= at; i--) {
            dst[i] = HEX[(int) (v & 0xF)];
            v >>>= 4;
        }
        return at + digits;
    }

    /**
     * Writes bytes as two lower-case hex digits each.
     *
     * @param src    bytes to write.
     * @param length how many of {@code src} to write.
     * @param dst    destination.
     * @param at     first index written.
     * @return the index after the last digit.
     */
    public static int putHexBytes(final byte[] src, final int length, final byte[] dst, final int at) {
        int p = at;
        for (int i = 0; i < length; i++) {
            dst[p++] = HEX[(src[i] >> 4) & 0xF];
            dst[p++] = HEX[src[i] & 0xF];
        }
        return p;
    }

    /**
     * Copies a constant.
     *
     * @param src constant bytes.
     * @param dst destination.
     * @param at  first index written.
     * @return the index after the copy.
     */
    public static int put(final byte[] src, final byte[] dst, final int at) {
        System.arraycopy(src, 0, dst, at, src.length);
        return at + src.length;
    }

    /**
     * Parses a non-negative decimal number that fills a range exactly.
     *
     * @param src   bytes.
     * @param start first index.
     * @param end   index after the last digit.
     * @return the number, or -1 when the range is empty, holds a non-digit or overflows 2^62.
     */
    public static long parseDecimal(final byte[] src, final int start, final int end) {
        if (start >= end || end - start > 18) {
            return -1;
        }
        long v = 0;
        for (int i = start; i < end; i++) {
            final int d = src[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /**
     * Compares a range with a lower-case ASCII constant, ignoring the case of the range's letters.
     *
     * @param src       bytes.
     * @param start     first index.
     * @param end       index after the range.
     * @param lowerCase constant in lower case.
     * @return whether they are equal.
     */
    public static boolean equalsIgnoreCase(final byte[] src, final int start, final int end, final byte[] lowerCase) {
        if (end - start != lowerCase.length) {
            return false;
        }
        for (int i = 0; i < lowerCase.length; i++) {
            if (toLower(src[start + i]) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a range contains a lower-case ASCII constant, ignoring the case of the range's letters.
     *
     * @param src       bytes.
     * @param start     first index.
     * @param end       index after the range.
     * @param lowerCase constant in lower case.
     * @return whether the constant occurs in the range.
     */
    public static boolean containsIgnoreCase(final byte[] src, final int start, final int end, final byte[] lowerCase) {
        for (int i = start; i + lowerCase.length <= end; i++) {
            if (equalsIgnoreCase(src, i, i + lowerCase.length, lowerCase)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a range starts with a constant (exact case).
     *
     * @param src    bytes.
     * @param start  first index.
     * @param end    index after the range.
     * @param prefix constant.
     * @return whether the range begins with it.
     */
    public static boolean startsWith(final byte[] src, final int start, final int end, final byte[] prefix) {
        if (end - start < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (src[start + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte toLower(final byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b | 0x20) : b;
    }
}
