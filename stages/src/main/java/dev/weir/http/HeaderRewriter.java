package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;

/**
 * Writes the head Weir forwards to the origin:
 * <ul>
 * <li>the request line as {@code METHOD SP target SP HTTP/1.1}: always HTTP/1.1, whatever the client spoke
 * (RFC 9110 2.5: a proxy sends its own highest version), and an absolute-form target in origin-form
 * ({@code /} when it has no path; {@code *} for {@code OPTIONS}, RFC 9112 3.2.4);</li>
 * <li>{@code Host} right after it, regenerated from the target's authority for an absolute-form target (the
 * client's {@code Host} fields are dropped), or empty when an HTTP/1.0 client sent none (RFC 9112 3.2);</li>
 * <li>the client's fields, less the hop-by-hop ones (RFC 9110 7.6.1: {@code Connection}, the fields it names,
 * {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Upgrade}) and {@code Expect} (Weir answers
 * {@code 100 Continue} itself);</li>
 * <li>the forwarding fields: the client's address appended to {@code X-Forwarded-For} (always); when switched
 * on in the {@link RequestPolicy}, {@code X-Forwarded-Proto: http} and {@code X-Forwarded-Host: <host>}
 * replacing the client's (a client may not vouch for what Weir saw), and an element appended to
 * {@code Forwarded} and {@code 1.1 weir} to {@code Via} (each proxy adds its own, RFC 7239 4, RFC 9110 7.6.3).
 * A field switched off is relayed like any other.</li>
 * </ul>
 * <p>
 * <b>Note:</b> copies native memory to native memory; allocation-free; one instance per stage thread.
 */
public final class HeaderRewriter {

    private static final Memory MEMORY = OS.memory();
    private static final byte[] CRLF = HttpBytes.ascii("\r\n");
    private static final byte[] COLON_SP = HttpBytes.ascii(": ");
    private static final byte[] COMMA_SP = HttpBytes.ascii(", ");
    private static final byte[] SP = HttpBytes.ascii(" ");
    private static final byte[] SLASH = HttpBytes.ascii("/");
    private static final byte[] ASTERISK = HttpBytes.ascii("*");
    private static final byte[] SP_HTTP_11 = HttpBytes.ascii(" HTTP/1.1\r\n");
    private static final byte[] HOST = HttpBytes.ascii("Host: ");
    private static final byte[] XFF = HttpBytes.ascii("X-Forwarded-For: ");
    private static final byte[] UPGRADE_WEBSOCKET = HttpBytes.ascii("Connection: Upgrade\r\nUpgrade: websocket\r\n");
    private static final byte[] XFP_HTTP = HttpBytes.ascii("X-Forwarded-Proto: http\r\n");
    private static final byte[] XFH = HttpBytes.ascii("X-Forwarded-Host: ");
    private static final byte[] FORWARDED = HttpBytes.ascii("Forwarded: ");
    private static final byte[] FOR = HttpBytes.ascii("for=");
    private static final byte[] FOR_UNKNOWN = HttpBytes.ascii("for=unknown");
    private static final byte[] QUOTE_BRACKET = HttpBytes.ascii("\"[");
    private static final byte[] BRACKET_QUOTE = HttpBytes.ascii("]\"");
    private static final byte[] HOST_PARAM = HttpBytes.ascii(";host=\"");
    private static final byte[] QUOTE = HttpBytes.ascii("\"");
    private static final byte[] PROTO_HTTP = HttpBytes.ascii(";proto=http");
    private static final byte[] VIA = HttpBytes.ascii("Via: ");
    private static final byte[] VIA_WEIR = HttpBytes.ascii("1.1 weir");

    /** Returned by {@link #rewrite} when the forwarded head would not fit the destination. */
    public static final int TOO_LARGE = -1;

    private BytesStore<?, ?> srcStore;
    private long srcBase;
    private BytesStore<?, ?> dstStore;
    private long dstBase;
    private int dstCapacity;
    private int written;
    private byte[] address;
    private int addressLength;

    /**
     * @param src            the parse arena's store.
     * @param srcBase        absolute offset of the request's block.
     * @param head           the parsed request head; its {@link RequestHead#policy()} says which forwarding
     *                       fields to write.
     * @param dst            the destination store.
     * @param dstBase        absolute offset of the destination block.
     * @param dstCapacity    the destination block's size.
     * @param clientAddress  the client's address as ASCII text.
     * @param clientAddressLength bytes of {@code clientAddress} in use.
     * @return bytes written, or {@link #TOO_LARGE}.
     */
    public int rewrite(final BytesStore<?, ?> src, final long srcBase, final RequestHead head,
        final BytesStore<?, ?> dst, final long dstBase, final int dstCapacity, final byte[] clientAddress,
        final int clientAddressLength) {
        this.srcStore = src;
        this.srcBase = srcBase;
        this.dstStore = dst;
        this.dstBase = dstBase;
        this.dstCapacity = dstCapacity;
        this.written = 0;
        this.address = clientAddress;
        this.addressLength = clientAddressLength;
        final RequestPolicy policy = head.policy;

        boolean ok = requestLine(head) && host(head);
        final int lastForwardedFor = lastIndexOf(head, HeaderNames.X_FORWARDED_FOR);
        final int lastForwarded = policy.forwarded() ? lastIndexOf(head, HeaderNames.FORWARDED) : -1;
        final int lastVia = policy.via() ? lastIndexOf(head, HeaderNames.VIA) : -1;
        for (int i = 0; i < head.headerCount && ok; i++) {
            if (!forwards(head, i)) {
                continue;
            }
            ok = copy(head.nameStart(i), head.nameLength(i)) && put(COLON_SP) && copy(head.valueStart(i),
                head.valueLength(i));
            if (i == lastForwardedFor) {
                ok = ok && put(COMMA_SP) && put(clientAddress, clientAddressLength);
            } else if (i == lastForwarded) {
                ok = ok && put(COMMA_SP) && forwardedElement(head);
            } else if (i == lastVia) {
                ok = ok && put(COMMA_SP) && put(VIA_WEIR);
            }
            ok = ok && put(CRLF);
        }
        if (lastForwardedFor < 0) {
            ok = ok && put(XFF) && put(clientAddress, clientAddressLength) && put(CRLF);
        }
        if (policy.xForwardedProto()) {
            ok = ok && put(XFP_HTTP);
        }
        if (policy.xForwardedHost() && head.hostLength > 0) {
            ok = ok && put(XFH) && copy(head.hostStart, head.hostLength) && put(CRLF);
        }
        if (policy.forwarded() && lastForwarded < 0) {
            ok = ok && put(FORWARDED) && forwardedElement(head) && put(CRLF);
        }
        if (policy.via() && lastVia < 0) {
            ok = ok && put(VIA) && put(VIA_WEIR) && put(CRLF);
        }
        if (head.isUpgrade()) {
            // The one upgrade Weir tunnels: its hop-by-hop fields are forwarded, normalised.
            ok = ok && put(UPGRADE_WEBSOCKET);
        }
        ok = ok && put(CRLF);
        this.srcStore = null;
        this.dstStore = null;
        this.address = null;
        return ok ? written : TOO_LARGE;
    }

    /** {@code METHOD SP target SP HTTP/1.1 CRLF}, the target in origin-form. */
    private boolean requestLine(final RequestHead head) {
        final boolean ok = copy(head.start, head.targetStart - head.start);
        if (head.pathLength > 0) {
            if (head.targetForm == RequestHead.ABSOLUTE_FORM && store(head.pathStart) == '?') {
                // http://host?q: the path is empty and origin-form needs "/" before the query.
                return ok && put(SLASH) && copy(head.pathStart, head.pathLength) && put(SP_HTTP_11);
            }
            return ok && copy(head.pathStart, head.pathLength) && put(SP_HTTP_11);
        }
        return ok && put(head.method == RequestHead.OPTIONS ? ASTERISK : SLASH) && put(SP_HTTP_11);
    }

    /** The regenerated {@code Host} of an absolute-form target, or an empty one when there is no host. */
    private boolean host(final RequestHead head) {
        if (head.targetForm == RequestHead.ABSOLUTE_FORM) {
            return put(HOST) && copy(head.hostStart, head.hostLength) && put(CRLF);
        }
        if (head.hostLength < 0) {
            return put(HOST) && put(CRLF);
        }
        return true;
    }

    /** @return {@code true} when field {@code i} is copied (possibly with Weir's element appended). */
    private static boolean forwards(final RequestHead head, final int i) {
        final int id = head.headerId(i);
        if (HeaderNames.isHopByHop(id) || id == HeaderNames.EXPECT || head.isConnectionNamed(i)) {
            return false;
        }
        switch (id) {
            case HeaderNames.HOST:
                return head.targetForm != RequestHead.ABSOLUTE_FORM;
            case HeaderNames.X_FORWARDED_PROTO:
                return !head.policy.xForwardedProto();
            case HeaderNames.X_FORWARDED_HOST:
                return !head.policy.xForwardedHost();
            default:
                return true;
        }
    }

    /**
     * {@code for=<client>;host="<host>";proto=http} (RFC 7239 4-5): an IPv6 address is bracketed and quoted,
     * the host always quoted (a port's colon is not a token character; a valid host holds no quote or backslash).
     */
    private boolean forwardedElement(final RequestHead head) {
        boolean ok;
        if (addressLength == 0 || addressLength == 1 && address[0] == '-') {
            ok = put(FOR_UNKNOWN);
        } else if (isIpv6(address, addressLength)) {
            ok = put(FOR) && put(QUOTE_BRACKET) && put(address, addressLength) && put(BRACKET_QUOTE);
        } else {
            ok = put(FOR) && put(address, addressLength);
        }
        if (head.hostLength > 0) {
            ok = ok && put(HOST_PARAM) && copy(head.hostStart, head.hostLength) && put(QUOTE);
        }
        return ok && put(PROTO_HTTP);
    }

    private static boolean isIpv6(final byte[] text, final int length) {
        for (int i = 0; i < length; i++) {
            if (text[i] == ':') {
                return true;
            }
        }
        return false;
    }

    private static int lastIndexOf(final RequestHead head, final int id) {
        for (int i = head.headerCount - 1; i >= 0; i--) {
            if (head.headerId(i) == id && !head.isConnectionNamed(i)) {
                return i;
            }
        }
        return -1;
    }

    private byte store(final int offset) {
        return srcStore.readByte(srcBase + offset);
    }

    /** Copy {@code length} bytes at {@code offset} in the request's block. */
    private boolean copy(final int offset, final int length) {
        if (written + length > dstCapacity) {
            return false;
        }
        MEMORY.copyMemory(srcStore.addressForRead(srcBase + offset), dstStore.addressForWrite(dstBase + written),
            length);
        written += length;
        return true;
    }

    private boolean put(final byte[] bytes) {
        return put(bytes, bytes.length);
    }

    private boolean put(final byte[] bytes, final int length) {
        if (written + length > dstCapacity) {
            return false;
        }
        MEMORY.copyMemory(bytes, 0, dstStore.addressForWrite(dstBase + written), length);
        written += length;
        return true;
    }
}
