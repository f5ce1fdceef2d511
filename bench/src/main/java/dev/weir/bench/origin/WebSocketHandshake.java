package dev.weir.bench.origin;

import dev.weir.bench.http.Ascii;
import dev.weir.bench.http.HttpHead;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Checks a WebSocket opening handshake (RFC 6455 section 4.2.1) in place and computes its
 * {@code Sec-WebSocket-Accept}.
 * <pre>
 *   GET /ws HTTP/1.1\r\n
 *   Connection: keep-alive, Upgrade\r\n          a token list; "upgrade" must be one token (any case)
 *   Upgrade: websocket\r\n                       a token list; "websocket" must be one token (any case)
 *   Sec-WebSocket-Version: 13\r\n                exactly 13 on every such line
 *   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n   exactly once: 16 bytes in base64 (24 characters)
 *
 *   accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))   28 characters
 * </pre>
 * The method must be GET and the version HTTP/1.1; the caller rejects a request with a body.
 * <p>
 * <b>Note:</b> confined to its connection's worker thread; reused for every handshake of a pooled connection.
 */
final class WebSocketHandshake {

    /** Length in bytes of a valid {@code Sec-WebSocket-Key} value: 16 bytes in base64. */
    static final int KEY_BYTES = 24;
    /** Length in bytes of a {@code Sec-WebSocket-Accept} value: 20 bytes of SHA-1 in base64. */
    static final int ACCEPT_BYTES = 28;

    private static final int SHA1_BYTES = 20;
    private static final byte[] GUID = ascii("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] UPGRADE = ascii("upgrade");
    private static final byte[] WEBSOCKET = ascii("websocket");
    private static final byte[] SEC_VERSION = ascii("sec-websocket-version");
    private static final byte[] SEC_KEY = ascii("sec-websocket-key");
    private static final byte[] VERSION_13 = ascii("13");

    private final MessageDigest sha1;
    private final byte[] digest = new byte[SHA1_BYTES];
    private final byte[] accept = new byte[ACCEPT_BYTES];

    WebSocketHandshake() {
        try {
            // Allocates: one SHA-1 digest per pooled connection, at construction; handshakes then reuse it.
            this.sha1 = MessageDigest.getInstance("SHA-1");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    /**
     * Checks a parsed request head and, when it is a valid handshake, computes the accept value.
     *
     * @param buf  the buffer holding the head.
     * @param head the parsed head (its offsets point into {@code buf}).
     * @return whether the head is a valid WebSocket handshake; then {@link #accept()} holds the answer.
     */
    boolean tryAccept(final byte[] buf, final HttpHead head) {
        if (head.method() != HttpHead.METHOD_GET || head.http10()) {
            return false;
        }
        boolean connectionUpgrade = false;
        boolean upgradeWebSocket = false;
        boolean version13 = false;
        boolean versionOther = false;
        int keyStart = -1;
        int keyCount = 0;
        // Lines are cut at CR as HttpScan cuts them; it has already checked that each header line has a colon.
        int line = indexOf(buf, head.start(), head.end(), (byte) '\r') + 2;
        while (line < head.end() - 2) {
            final int eol = indexOf(buf, line, head.end(), (byte) '\r');
            final int colon = indexOf(buf, line, eol, (byte) ':');
            if (colon < 0) {
                return false;
            }
            final int vs = skipSpaces(buf, colon + 1, eol);
            final int ve = trimSpaces(buf, vs, eol);
            if (Ascii.equalsIgnoreCase(buf, line, colon, CONNECTION)) {
                connectionUpgrade |= hasToken(buf, vs, ve, UPGRADE);
            } else if (Ascii.equalsIgnoreCase(buf, line, colon, UPGRADE)) {
                upgradeWebSocket |= hasToken(buf, vs, ve, WEBSOCKET);
            } else if (Ascii.equalsIgnoreCase(buf, line, colon, SEC_VERSION)) {
                final boolean is13 = Ascii.equalsIgnoreCase(buf, vs, ve, VERSION_13);
                version13 |= is13;
                versionOther |= !is13;
            } else if (Ascii.equalsIgnoreCase(buf, line, colon, SEC_KEY)) {
                keyCount++;
                keyStart = isKey(buf, vs, ve) ? vs : -1;
            }
            line = eol + 2;
        }
        if (!connectionUpgrade || !upgradeWebSocket || !version13 || versionOther || keyCount != 1
            || keyStart < 0) {
            return false;
        }
        computeAccept(buf, keyStart);
        return true;
    }

    /** @return the {@code Sec-WebSocket-Accept} value of the last accepted handshake, {@link #ACCEPT_BYTES} long. */
    byte[] accept() {
        return accept;
    }

    private void computeAccept(final byte[] buf, final int keyStart) {
        sha1.reset();
        sha1.update(buf, keyStart, KEY_BYTES);
        sha1.update(GUID, 0, GUID.length);
        try {
            sha1.digest(digest, 0, SHA1_BYTES);
        } catch (final DigestException e) {
            throw new IllegalStateException(e);
        }
        // Base64.getEncoder() is a shared instance and encode(byte[], byte[]) writes in place: nothing allocated.
        Base64.getEncoder().encode(digest, accept);
    }

    /**
     * Whether a comma-separated header value holds a token, ignoring case and optional whitespace.
     *
     * @param buf       bytes.
     * @param start     first index of the value.
     * @param end       index after the value.
     * @param lowerCase the token in lower case.
     * @return whether one list element equals the token.
     */
    static boolean hasToken(final byte[] buf, final int start, final int end, final byte[] lowerCase) {
        int from = start;
        while (from <= end) {
            int comma = indexOf(buf, from, end, (byte) ',');
            if (comma < 0) {
                comma = end;
            }
            final int ts = skipSpaces(buf, from, comma);
            if (Ascii.equalsIgnoreCase(buf, ts, trimSpaces(buf, ts, comma), lowerCase)) {
                return true;
            }
            from = comma + 1;
        }
        return false;
    }

    /** A key is 16 bytes in base64: 22 alphabet characters and "==". */
    private static boolean isKey(final byte[] buf, final int start, final int end) {
        if (end - start != KEY_BYTES || buf[end - 1] != '=' || buf[end - 2] != '=') {
            return false;
        }
        for (int i = start; i < end - 2; i++) {
            final byte b = buf[i];
            if (!(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/')) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpaces(final byte[] buf, final int from, final int to) {
        int i = from;
        while (i < to && (buf[i] == ' ' || buf[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static int trimSpaces(final byte[] buf, final int from, final int to) {
        int i = to;
        while (i > from && (buf[i - 1] == ' ' || buf[i - 1] == '\t')) {
            i--;
        }
        return i;
    }

    private static int indexOf(final byte[] buf, final int from, final int to, final byte b) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] ascii(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
