package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * Checks the syntax of a {@code Host} value or a target's authority (RFC 9110 7.2, RFC 3986 3.2.2):
 * <pre>
 *   host-port   = uri-host [ ":" port ]        port     = 0 to 5 DIGITs
 *   uri-host    = IP-literal / reg-name        (an IPv4 address is also a reg-name)
 *   IP-literal  = "[" ( IPv6address / IPvFuture ) "]"
 *   reg-name    = 1*( unreserved / pct-encoded / sub-delims )
 * </pre>
 * Stricter than RFC 3986 in one way, as nginx is: an empty host is refused (there is nothing to route on).
 * Userinfo ({@code user@host}) is refused too: RFC 9110 4.2.4 deprecates it.
 * <p>
 * <b>Note:</b> stateless; allocation-free.
 */
public final class HostSyntax {

    private static final int MAX_PORT_DIGITS = 5;
    private static final int IPV6_GROUPS = 8;

    private HostSyntax() {
    }

    /**
     * @param store  the bytes.
     * @param offset absolute offset of the value.
     * @param length its length.
     * @return {@code true} when it is a valid, non-empty {@code uri-host [ ":" port ]}.
     */
    public static boolean isValid(final BytesStore<?, ?> store, final long offset, final int length) {
        if (length == 0) {
            return false;
        }
        int hostEnd;
        if (store.readByte(offset) == '[') {
            hostEnd = 1;
            while (hostEnd < length && store.readByte(offset + hostEnd) != ']') {
                hostEnd++;
            }
            if (hostEnd == length || !isIpLiteral(store, offset + 1, hostEnd - 1)) {
                return false;
            }
            hostEnd++;
        } else {
            hostEnd = regNameLength(store, offset, length);
            if (hostEnd <= 0) {
                return false;
            }
        }
        if (hostEnd == length) {
            return true;
        }
        if (store.readByte(offset + hostEnd) != HttpBytes.COLON || length - hostEnd - 1 > MAX_PORT_DIGITS) {
            return false;
        }
        for (int i = hostEnd + 1; i < length; i++) {
            final byte b = store.readByte(offset + i);
            if (b < '0' || b > '9') {
                return false;
            }
        }
        return true;
    }

    /** @return bytes of the reg-name at the start, up to a colon or the end; -1 when malformed. */
    private static int regNameLength(final BytesStore<?, ?> store, final long offset, final int length) {
        int i = 0;
        while (i < length) {
            final byte b = store.readByte(offset + i);
            if (b == HttpBytes.COLON) {
                break;
            }
            if (b == '%') {
                if (i + 2 >= length || HttpBytes.hexValue(store.readByte(offset + i + 1)) < 0
                    || HttpBytes.hexValue(store.readByte(offset + i + 2)) < 0) {
                    return -1;
                }
                i += 3;
            } else if (HttpBytes.isRegNameChar(b)) {
                i++;
            } else {
                return -1;
            }
        }
        return i;
    }

    private static boolean isIpLiteral(final BytesStore<?, ?> store, final long offset, final int length) {
        if (length > 0 && HttpBytes.lower(store.readByte(offset)) == 'v') {
            return isIpvFuture(store, offset, length);
        }
        return isIpv6(store, offset, length);
    }

    /** IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ). */
    private static boolean isIpvFuture(final BytesStore<?, ?> store, final long offset, final int length) {
        int i = 1;
        while (i < length && HttpBytes.hexValue(store.readByte(offset + i)) >= 0) {
            i++;
        }
        if (i == 1 || i == length || store.readByte(offset + i) != '.' || i + 1 == length) {
            return false;
        }
        for (i++; i < length; i++) {
            final byte b = store.readByte(offset + i);
            if (!HttpBytes.isRegNameChar(b) && b != HttpBytes.COLON) {
                return false;
            }
        }
        return true;
    }

    /**
     * IPv6address (RFC 3986 3.2.2): eight groups of 1 to 4 hex digits, one run of zero groups written
     * {@code ::}, and an IPv4 address may stand for the last two groups. No zone identifier.
     */
    static boolean isIpv6(final BytesStore<?, ?> store, final long offset, final int length) {
        int groups = 0;
        boolean elided = false;
        int i = 0;
        if (length >= 2 && store.readByte(offset) == ':' && store.readByte(offset + 1) == ':') {
            elided = true;
            i = 2;
        } else if (length > 0 && store.readByte(offset) == ':') {
            return false;
        }
        while (i < length) {
            final int start = i;
            while (i < length && i - start < 5 && HttpBytes.hexValue(store.readByte(offset + i)) >= 0) {
                i++;
            }
            if (i < length && store.readByte(offset + i) == '.') {
                // The rest must be a dotted IPv4 address, two groups' worth.
                if (!isIpv4(store, offset + start, length - start)) {
                    return false;
                }
                groups += 2;
                i = length;
                break;
            }
            final int digits = i - start;
            if (digits == 0 || digits > 4) {
                return false;
            }
            groups++;
            if (i == length) {
                break;
            }
            if (store.readByte(offset + i) != ':') {
                return false;
            }
            i++;
            if (i < length && store.readByte(offset + i) == ':') {
                if (elided) {
                    return false;
                }
                elided = true;
                i++;
            } else if (i == length) {
                // A single trailing colon.
                return false;
            }
        }
        return elided ? groups < IPV6_GROUPS : groups == IPV6_GROUPS;
    }

    /** IPv4address: four decimal octets 0 to 255 without leading zeros. */
    static boolean isIpv4(final BytesStore<?, ?> store, final long offset, final int length) {
        int octets = 0;
        int i = 0;
        while (i <= length) {
            final int start = i;
            int value = 0;
            while (i < length && store.readByte(offset + i) >= '0' && store.readByte(offset + i) <= '9') {
                value = value * 10 + store.readByte(offset + i) - '0';
                i++;
                if (i - start > 3) {
                    return false;
                }
            }
            final int digits = i - start;
            if (digits == 0 || value > 255 || digits > 1 && store.readByte(offset + start) == '0') {
                return false;
            }
            octets++;
            if (i == length) {
                return octets == 4;
            }
            if (store.readByte(offset + i) != '.' || octets == 4) {
                return false;
            }
            i++;
        }
        return false;
    }
}
