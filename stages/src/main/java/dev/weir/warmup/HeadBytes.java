package dev.weir.warmup;

import dev.weir.http.HttpBytes;

/**
 * Reads what the warm-up's client and origin need from an HTTP/1.1 head held in a byte array: where it ends, a
 * header's number, whether a header holds a token. ASCII, case-insensitive names; a head is trusted, as both ends
 * are the warm-up's own or Weir's.
 * <p>
 * <b>Note:</b> stateless.
 */
final class HeadBytes {

    private HeadBytes() {
    }

    /**
     * @param b     bytes.
     * @param from  first index to look at.
     * @param limit one past the last.
     * @return the index just past the blank line ending the head, or -1 while it has not all arrived.
     */
    static int headEnd(final byte[] b, final int from, final int limit) {
        for (int i = from; i + 3 < limit; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /**
     * @param b     bytes.
     * @param at    index to compare from.
     * @param ascii text to compare, case-insensitively.
     * @return {@code true} when the bytes at {@code at} are the text.
     */
    static boolean startsWith(final byte[] b, final int at, final String ascii) {
        if (at < 0 || at + ascii.length() > b.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (HttpBytes.lower(b[at + i]) != HttpBytes.lower((byte) ascii.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param b     bytes.
     * @param from  first index to look at.
     * @param limit one past the last.
     * @param value the byte to find.
     * @return its first index in the range, or {@code limit} when absent.
     */
    static int indexOf(final byte[] b, final int from, final int limit, final byte value) {
        for (int i = from; i < limit; i++) {
            if (b[i] == value) {
                return i;
            }
        }
        return limit;
    }

    /**
     * @param b     bytes of a head.
     * @param from  its first byte.
     * @param limit one past its last.
     * @param name  the header's name with its colon, lower case.
     * @return the header's value as a decimal number, or -1 when it is absent.
     */
    static long longHeader(final byte[] b, final int from, final int limit, final String name) {
        final int value = valueStart(b, from, limit, name);
        return value < 0 ? -1 : parseLong(b, value, indexOf(b, value, limit, (byte) '\r'));
    }

    /**
     * @param b     bytes of a head.
     * @param from  its first byte.
     * @param limit one past its last.
     * @param name  the header's name with its colon, lower case.
     * @param token a token its value may hold, lower case.
     * @return {@code true} when the header is present and its value holds the token.
     */
    static boolean hasToken(final byte[] b, final int from, final int limit, final String name, final String token) {
        final int value = valueStart(b, from, limit, name);
        if (value < 0) {
            return false;
        }
        final int end = indexOf(b, value, limit, (byte) '\r');
        for (int i = value; i + token.length() <= end; i++) {
            if (startsWith(b, i, token)) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param b     bytes.
     * @param from  first digit.
     * @param limit one past the last byte to read; reading stops at the first byte that is no digit.
     * @return the decimal number there, 0 when there is none.
     */
    static long parseLong(final byte[] b, final int from, final int limit) {
        long n = 0;
        for (int i = from; i < limit && b[i] >= '0' && b[i] <= '9'; i++) {
            n = n * 10 + b[i] - '0';
        }
        return n;
    }

    /** @return the index of the first byte of the named header's value, past spaces, or -1 when absent. */
    private static int valueStart(final byte[] b, final int from, final int limit, final String name) {
        for (int line = indexOf(b, from, limit, (byte) '\n') + 1; line < limit;
            line = indexOf(b, line, limit, (byte) '\n') + 1) {
            if (startsWith(b, line, name)) {
                int value = line + name.length();
                while (value < limit && b[value] == ' ') {
                    value++;
                }
                return value;
            }
        }
        return -1;
    }
}
