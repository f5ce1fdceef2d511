package dev.weir.http;

import java.nio.ByteBuffer;

import dev.weir.arena.Arena;

/**
 * The error responses Weir answers by itself, written once into an arena at startup.
 * <p>
 * Each closes the connection: after an error the rest of the client's bytes cannot be trusted to be framed.
 * A stage thread gets its own {@link ByteBuffer} views ({@link #viewsFor(Arena)}), so writing one is a
 * position/limit change and a channel write.
 */
public final class CannedResponses {

    /** The status codes answered from canned bytes, in {@link #index(int)} order. */
    static final int[] STATUSES = {400, 408, 413, 414, 431, 501, 502, 503, 504, 505};
    private static final String[] REASONS = {
        "Bad Request", "Request Timeout", "Content Too Large", "URI Too Long", "Request Header Fields Too Large",
        "Not Implemented", "Bad Gateway", "Service Unavailable", "Gateway Timeout", "HTTP Version Not Supported",
    };
    private static final String[] BODIES = {
        "bad request\n", "request timeout\n", "request body too large\n", "request line too long\n",
        "request head too large\n", "not implemented\n", "bad gateway\n", "no capacity: try again\n",
        "gateway timeout\n", "HTTP version not supported\n",
    };
    /** Index of 502, the answer for a status without canned bytes. */
    private static final int BAD_GATEWAY_INDEX = 6;
    /** Seconds a client told 503 should wait before retrying. */
    static final int RETRY_AFTER_SECONDS = 1;

    private final ByteBuffer[] views;

    private CannedResponses(final ByteBuffer[] views) {
        this.views = views;
    }

    /**
     * @param status a status code.
     * @return the full response bytes for it.
     */
    public static byte[] bytes(final int status) {
        final int i = index(status);
        final String body = BODIES[i];
        return HttpBytes.ascii("HTTP/1.1 " + status + " " + REASONS[i] + "\r\n"
            + "Content-Type: text/plain\r\n"
            + "Content-Length: " + body.length() + "\r\n"
            + (status == 503 ? "Retry-After: " + RETRY_AFTER_SECONDS + "\r\n" : "")
            + "Connection: close\r\n"
            + "\r\n"
            + body);
    }

    /**
     * @return bytes needed in an arena for {@link #viewsFor(Arena)}.
     */
    public static int arenaBytes() {
        int total = 0;
        for (final int status : STATUSES) {
            total += bytes(status).length;
        }
        return total;
    }

    /**
     * Write every canned response into the arena and make views over them; startup only.
     *
     * @param arena the owning stage's arena, with {@link #arenaBytes()} free.
     * @return views for one stage thread.
     */
    public static CannedResponses viewsFor(final Arena arena) {
        final ByteBuffer[] views = new ByteBuffer[STATUSES.length];
        for (int i = 0; i < STATUSES.length; i++) {
            final byte[] bytes = bytes(STATUSES[i]);
            final long offset = arena.reserve(bytes.length);
            arena.store().write(offset, bytes, 0, bytes.length);
            views[i] = arena.view(offset, bytes.length);
        }
        return new CannedResponses(views);
    }

    /**
     * The view for a status, rewound to {@code position}.
     *
     * @param status   a status code in {@link #STATUSES}.
     * @param position bytes already written.
     * @return the view, ready to write from.
     */
    public ByteBuffer view(final int status, final int position) {
        final ByteBuffer view = views[index(status)];
        view.limit(view.capacity()).position(position);
        return view;
    }

    /**
     * @param status a status code.
     * @return its index in {@link #STATUSES}; 502 for a code without canned bytes.
     */
    static int index(final int status) {
        for (int i = 0; i < STATUSES.length; i++) {
            if (STATUSES[i] == status) {
                return i;
            }
        }
        return BAD_GATEWAY_INDEX;
    }
}
