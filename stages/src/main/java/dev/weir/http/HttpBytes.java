package dev.weir.http;

import java.nio.charset.StandardCharsets;

/**
 * Byte classes and constants of HTTP/1.1 (RFC 9110, RFC 9112) as static lookup tables.
 */
public final class HttpBytes {

    /** Carriage return. */
    public static final byte CR = '\r';
    /** Line feed. */
    public static final byte LF = '\n';
    /** Space. */
    public static final byte SP = ' ';
    /** Horizontal tab. */
    public static final byte HTAB = '\t';
    /** Colon. */
    public static final byte COLON = ':';

    private static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] FIELD_VALUE = new boolean[256];
    private static final boolean[] TARGET = new boolean[256];
    private static final byte[] LOWER = new byte[256];
    private static final boolean[] REG_NAME = new boolean[256];
    private static final byte[] HEX = new byte[256];

    static {
        final String tcharSymbols = "!#$%&'*+-.^_`|~";
        for (int c = 0; c < 256; c++) {
            final boolean alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            final boolean digit = c >= '0' && c <= '9';
            TCHAR[c] = alpha || digit || tcharSymbols.indexOf(c) >= 0;
            // field-vchar = VCHAR / obs-text, plus SP and HTAB inside a value.
            FIELD_VALUE[c] = (c >= 0x21 && c <= 0x7E) || c >= 0x80 || c == SP || c == HTAB;
            // A request target is visible ASCII; obs-text and controls are refused.
            TARGET[c] = c >= 0x21 && c <= 0x7E;
            LOWER[c] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            // RFC 3986 reg-name: unreserved / sub-delims; pct-encoded is checked apart (see HostSyntax).
            REG_NAME[c] = alpha || digit || "-._~!$&'()*+,;=".indexOf(c) >= 0;
            HEX[c] = (byte) (digit ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F'
                ? c - 'A' + 10 : -1);
        }
    }

    private HttpBytes() {
    }

    /**
     * @param b a byte.
     * @return {@code true} when it may appear in a token (method, field name).
     */
    public static boolean isTokenChar(final byte b) {
        return TCHAR[b & 0xFF];
    }

    /**
     * @param b a byte.
     * @return {@code true} when it may appear in a field value.
     */
    public static boolean isFieldValueChar(final byte b) {
        return FIELD_VALUE[b & 0xFF];
    }

    /**
     * @param b a byte.
     * @return {@code true} when it may appear in a request target.
     */
    public static boolean isTargetChar(final byte b) {
        return TARGET[b & 0xFF];
    }

    /**
     * @param b a byte.
     * @return {@code true} when it is an RFC 3986 unreserved or sub-delims character, as a reg-name holds.
     */
    public static boolean isRegNameChar(final byte b) {
        return REG_NAME[b & 0xFF];
    }

    /**
     * @param b a byte.
     * @return its value as a hexadecimal digit, or -1.
     */
    public static int hexValue(final byte b) {
        return HEX[b & 0xFF];
    }

    /**
     * @param b a byte.
     * @return the byte in ASCII lower case.
     */
    public static byte lower(final byte b) {
        return LOWER[b & 0xFF];
    }

    /**
     * For constants built once at class initialisation.
     *
     * @param s ASCII text.
     * @return its bytes.
     */
    public static byte[] ascii(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
