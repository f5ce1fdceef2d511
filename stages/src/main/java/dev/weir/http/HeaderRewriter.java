package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;

/**
 * Writes the head Weir forwards to the origin: the client's request line and fields, less the hop-by-hop
 * fields (RFC 9110 7.6.1: {@code Connection}, the fields it names, {@code Keep-Alive}, {@code Proxy-Connection},
 * {@code TE}, {@code Upgrade}) and {@code Expect} (Weir answers {@code 100 Continue} itself), with the client's
 * address appended to {@code X-Forwarded-For}.
 * <p>
 * <b>Note:</b> copies native memory to native memory; allocation-free; one instance per stage thread.
 */
public final class HeaderRewriter {

    private static final Memory MEMORY = OS.memory();
    private static final byte[] CRLF = HttpBytes.ascii("\r\n");
    private static final byte[] COLON_SP = HttpBytes.ascii(": ");
    private static final byte[] COMMA_SP = HttpBytes.ascii(", ");
    private static final byte[] XFF = HttpBytes.ascii("X-Forwarded-For: ");
    private static final byte[] UPGRADE_WEBSOCKET = HttpBytes.ascii("Connection: Upgrade\r\nUpgrade: websocket\r\n");

    /** Returned by {@link #rewrite} when the forwarded head would not fit the destination. */
    public static final int TOO_LARGE = -1;

    private BytesStore<?, ?> dstStore;
    private long dstBase;
    private int dstCapacity;
    private int written;

    /**
     * @param src            the parse arena's store.
     * @param srcBase        absolute offset of the request's block.
     * @param head           the parsed request head.
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
        this.dstStore = dst;
        this.dstBase = dstBase;
        this.dstCapacity = dstCapacity;
        this.written = 0;

        boolean ok = copy(src, srcBase + head.start, head.requestLineEnd + 2 - head.start);
        final int lastForwardedFor = lastIndexOf(head, HeaderNames.X_FORWARDED_FOR);
        for (int i = 0; i < head.headerCount && ok; i++) {
            final int id = head.headerId[i];
            // Connection may name only fields Weir does not act on: dropping Content-Length, Transfer-Encoding,
            // Host or X-Forwarded-For on a client's say-so would unframe the body (smuggling) or lose the route.
            if (HeaderNames.isHopByHop(id) || id == HeaderNames.EXPECT
                || (id == HeaderNames.OTHER && namedByConnection(src, srcBase, head, i))) {
                continue;
            }
            ok = copy(src, srcBase + head.nameStart[i], head.nameLength[i])
                && put(COLON_SP, COLON_SP.length)
                && copy(src, srcBase + head.valueStart[i], head.valueLength[i]);
            if (ok && i == lastForwardedFor) {
                ok = put(COMMA_SP, COMMA_SP.length) && put(clientAddress, clientAddressLength);
            }
            ok = ok && put(CRLF, CRLF.length);
        }
        if (ok && lastForwardedFor < 0) {
            ok = put(XFF, XFF.length) && put(clientAddress, clientAddressLength) && put(CRLF, CRLF.length);
        }
        if (ok && head.isUpgrade()) {
            // The one upgrade Weir tunnels: its hop-by-hop fields are forwarded, normalised.
            ok = put(UPGRADE_WEBSOCKET, UPGRADE_WEBSOCKET.length);
        }
        ok = ok && put(CRLF, CRLF.length);
        this.dstStore = null;
        return ok ? written : TOO_LARGE;
    }

    private static int lastIndexOf(final RequestHead head, final int id) {
        for (int i = head.headerCount - 1; i >= 0; i--) {
            if (head.headerId[i] == id) {
                return i;
            }
        }
        return -1;
    }

    /** @return {@code true} when a {@code Connection} field lists field {@code i}'s name as hop-by-hop. */
    private static boolean namedByConnection(final BytesStore<?, ?> src, final long srcBase, final RequestHead head,
        final int i) {
        for (int c = 0; c < head.headerCount; c++) {
            if (head.headerId[c] == HeaderNames.CONNECTION
                && listsName(src, srcBase + head.valueStart[c], head.valueLength[c], srcBase + head.nameStart[i],
                head.nameLength[i])) {
                return true;
            }
        }
        return false;
    }

    private static boolean listsName(final BytesStore<?, ?> src, final long list, final int listLength,
        final long name, final int nameLength) {
        int i = 0;
        while (i < listLength) {
            while (i < listLength && (src.readByte(list + i) == ',' || src.readByte(list + i) == HttpBytes.SP
                || src.readByte(list + i) == HttpBytes.HTAB)) {
                i++;
            }
            final int start = i;
            while (i < listLength && src.readByte(list + i) != ',' && src.readByte(list + i) != HttpBytes.SP
                && src.readByte(list + i) != HttpBytes.HTAB) {
                i++;
            }
            if (i - start == nameLength && sameIgnoringCase(src, list + start, name, nameLength)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameIgnoringCase(final BytesStore<?, ?> src, final long a, final long b,
        final int length) {
        for (int k = 0; k < length; k++) {
            if (HttpBytes.lower(src.readByte(a + k)) != HttpBytes.lower(src.readByte(b + k))) {
                return false;
            }
        }
        return true;
    }

    private boolean copy(final BytesStore<?, ?> src, final long offset, final int length) {
        if (written + length > dstCapacity) {
            return false;
        }
        MEMORY.copyMemory(src.addressForRead(offset), dstStore.addressForWrite(dstBase + written), length);
        written += length;
        return true;
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
