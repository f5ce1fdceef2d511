package dev.weir.http;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * The header fields Weir acts on, as ids with their lower-case names; others are relayed untouched.
 */
public final class HeaderNames {

    /** A field Weir does not act on. */
    public static final int OTHER = 0;
    /** {@code Content-Length}. */
    public static final int CONTENT_LENGTH = 1;
    /** {@code Transfer-Encoding}. */
    public static final int TRANSFER_ENCODING = 2;
    /** {@code Connection}. */
    public static final int CONNECTION = 3;
    /** {@code Host}. */
    public static final int HOST = 4;
    /** {@code Expect}. */
    public static final int EXPECT = 5;
    /** {@code Keep-Alive}: hop-by-hop. */
    public static final int KEEP_ALIVE = 6;
    /** {@code Proxy-Connection}: hop-by-hop (non-standard, still sent by some clients). */
    public static final int PROXY_CONNECTION = 7;
    /** {@code TE}: hop-by-hop. */
    public static final int TE = 8;
    /** {@code Upgrade}: hop-by-hop; Weir does not relay protocol switches. */
    public static final int UPGRADE = 9;
    /** {@code X-Forwarded-For}. */
    public static final int X_FORWARDED_FOR = 10;
    /** {@code X-Forwarded-Proto}: replaced when {@code forwarded.x-forwarded-proto} is on. */
    public static final int X_FORWARDED_PROTO = 11;
    /** {@code X-Forwarded-Host}: replaced when {@code forwarded.x-forwarded-host} is on. */
    public static final int X_FORWARDED_HOST = 12;
    /** {@code Forwarded} (RFC 7239): appended to when {@code forwarded.forwarded} is on. */
    public static final int FORWARDED = 13;
    /** {@code Via}: appended to when {@code forwarded.via} is on. */
    public static final int VIA = 14;

    private static final byte[][] NAMES = {
        null,
        HttpBytes.ascii("content-length"),
        HttpBytes.ascii("transfer-encoding"),
        HttpBytes.ascii("connection"),
        HttpBytes.ascii("host"),
        HttpBytes.ascii("expect"),
        HttpBytes.ascii("keep-alive"),
        HttpBytes.ascii("proxy-connection"),
        HttpBytes.ascii("te"),
        HttpBytes.ascii("upgrade"),
        HttpBytes.ascii("x-forwarded-for"),
        HttpBytes.ascii("x-forwarded-proto"),
        HttpBytes.ascii("x-forwarded-host"),
        HttpBytes.ascii("forwarded"),
        HttpBytes.ascii("via"),
    };

    private HeaderNames() {
    }

    /**
     * Classify a field name.
     *
     * @param store  the bytes.
     * @param offset absolute offset of the name in {@code store}.
     * @param length name length.
     * @return the field's id, or {@link #OTHER}.
     */
    public static int lookup(final BytesStore<?, ?> store, final long offset, final int length) {
        for (int id = 1; id < NAMES.length; id++) {
            if (equalsIgnoreCase(store, offset, length, NAMES[id])) {
                return id;
            }
        }
        return OTHER;
    }

    /**
     * Compare bytes with a lower-case ASCII constant, ignoring case.
     *
     * @param store     the bytes.
     * @param offset    absolute offset in {@code store}.
     * @param length    number of bytes.
     * @param lowerCase the constant, in lower case.
     * @return {@code true} when equal ignoring ASCII case.
     */
    public static boolean equalsIgnoreCase(final BytesStore<?, ?> store, final long offset, final int length,
        final byte[] lowerCase) {
        if (length != lowerCase.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (HttpBytes.lower(store.readByte(offset + i)) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Hop-by-hop fields are dropped when a head is forwarded. {@code Transfer-Encoding} is hop-by-hop too,
     * but Weir relays chunked bodies byte for byte, so the field travels with them.
     *
     * @param id a field id.
     * @return {@code true} for fields that concern one connection only.
     */
    public static boolean isHopByHop(final int id) {
        return id == CONNECTION || id == KEEP_ALIVE || id == PROXY_CONNECTION || id == TE || id == UPGRADE;
    }

    /**
     * Fields a {@code Connection} field may not remove: dropping {@code Content-Length},
     * {@code Transfer-Encoding}, {@code Host} or {@code X-Forwarded-For} on a client's say-so would unframe the
     * body (smuggling) or lose the route and the client's address.
     *
     * @param id a field id.
     * @return {@code true} when the field is forwarded whatever {@code Connection} says.
     */
    public static boolean isProtected(final int id) {
        return id == CONTENT_LENGTH || id == TRANSFER_ENCODING || id == HOST || id == X_FORWARDED_FOR;
    }
}
