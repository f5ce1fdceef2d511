package dev.weir.conn;

/**
 * The kinds of deadline a connection can miss, as int constants indexing the expiration counters.
 * <p>
 * Each names the configuration key that sets it and what Weir does when it expires.
 */
public final class TimeoutKind {

    /** {@code timeout.client-head}: a request head not complete in time gets 408 and the connection closes. */
    public static final int CLIENT_HEAD = 0;
    /**
     * {@code timeout.client-body}: a body slower than {@code timeout.client-min-rate} over a window this long ends
     * the exchange (408 if nothing sent).
     */
    public static final int CLIENT_BODY = 1;
    /** {@code timeout.client-send}: a client taking its answer slower than the minimum rate over it is reset. */
    public static final int CLIENT_SEND = 2;
    /** {@code timeout.keep-alive}: an idle client connection between requests is closed. */
    public static final int KEEP_ALIVE = 3;
    /** {@code timeout.upstream-connect}: the origin did not accept the connection in time: 504. */
    public static final int UPSTREAM_CONNECT = 4;
    /** {@code timeout.upstream-response}: the origin sent or took nothing this long: 504, or a reset client. */
    public static final int UPSTREAM_RESPONSE = 5;
    /** {@code upstream.queue-timeout}: no origin connection came free in time: 503 with Retry-After. */
    public static final int QUEUE = 6;
    /** {@code timeout.linger}: a lingering close ended: closed with its queue taken, or reset when too slow. */
    public static final int LINGER = 7;
    /** {@code timeout.tunnel-idle}: a WebSocket tunnel carried nothing either way; both sides are closed. */
    public static final int TUNNEL_IDLE = 8;
    /** Number of kinds. */
    public static final int COUNT = 9;

    private static final String[] NAMES = {
        "client_head", "client_body", "client_send", "keep_alive", "upstream_connect", "upstream_response", "queue",
        "linger", "tunnel_idle",
    };

    private TimeoutKind() {
    }

    /**
     * A paced deadline ends a window of the minimum-rate rule: a client that kept the rate gets another window,
     * which is not counted as an expiry. Its stage counts the ones that end the wait, before it acts on them.
     *
     * @param kind a kind constant.
     * @return {@code true} for {@link #CLIENT_BODY}, {@link #CLIENT_SEND} and {@link #LINGER}.
     */
    public static boolean paced(final int kind) {
        return kind == CLIENT_BODY || kind == CLIENT_SEND || kind == LINGER;
    }

    /**
     * @param kind a kind constant.
     * @return its name as used in the stats line, e.g. {@code client_head}.
     */
    public static String name(final int kind) {
        return kind >= 0 && kind < COUNT ? NAMES[kind] : "unknown(" + kind + ")";
    }
}
