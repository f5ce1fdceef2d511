package dev.weir.conn;

/**
 * The states of a slot's two halves, as int constants; each state names the stage that owns the half in it.
 * <p>
 * A proxied exchange is two halves that flow independently: the <em>request half</em> (client to origin,
 * the parse block) and the <em>response half</em> (origin to client, the upstream block). Every move between
 * states goes through {@code Wiring.request} or {@code Wiring.response}, which check it against
 * {@link ConnectionMoves}. The diagram, drawn from that table, is in docs/ARCHITECTURE.md ("The connection
 * model: two halves"), with the table itself, which a test holds equal to {@link ConnectionMoves}.
 */
public final class ConnectionState {

    /** Request half: the slot is in the free list. */
    public static final int FREE = 0;
    /** Request half, parse: waiting for, or parsing, a request head. */
    public static final int READING_HEAD = 1;
    /** Request half, upstream: waiting for an origin connection under {@code upstream.max-connections}. */
    public static final int QUEUED = 2;
    /** Request half, upstream: the origin connection is being opened. */
    public static final int CONNECTING = 3;
    /** Request half, upstream: the forwarded head or a body part is being written to the origin. */
    public static final int SENDING = 4;
    /** Request half, parse: reading the next request-body part from the client. */
    public static final int READING_BODY = 5;
    /** Request half, upstream: the whole request went to the origin; it rests until the response ends. */
    public static final int SENT = 6;
    /** Request half, upstream: the client failed or stalled mid-request; the origin connection must go. */
    public static final int ABORTING_REQUEST = 7;
    /** Request half, parse: the exchange ended with client input unread; read and discard it, then close. */
    public static final int LINGERING = 8;
    /** Request half: ended for this exchange, owned by nobody, waiting for the response half to end. */
    public static final int REQUEST_DONE = 9;

    /** Response half: no exchange, or not yet forwarded; it goes wherever the request half goes. */
    public static final int IDLE = 10;
    /** Response half, upstream: reading the origin into the upstream block, and writing parts through. */
    public static final int RECEIVING = 11;
    /** Response half, write: writing a part of the upstream block to the client. */
    public static final int WRITING = 12;
    /** Response half, write: writing a preallocated answer (an error, 408, 503) to the client. */
    public static final int CANNED = 13;
    /** Response half, upstream: the client failed mid-response with the origin connection still attached. */
    public static final int ABORTING_RESPONSE = 14;
    /** Response half: ended for this exchange, owned by nobody, waiting for the request half to end. */
    public static final int RESPONSE_DONE = 15;
    /**
     * Response half, write: the whole response is in the client's grown send buffer, shrunk back; waiting for
     * the client to take the queue down to the planned size before the grant is counted free.
     */
    public static final int DRAINING = 16;

    /** Number of states. */
    public static final int COUNT = 17;

    /** Owner: no stage (a resting or ended half). */
    public static final int OWNER_NONE = 0;
    /** Owner: the parse stage. */
    public static final int OWNER_PARSE = 1;
    /** Owner: the upstream stage. */
    public static final int OWNER_UPSTREAM = 2;
    /** Owner: the write stage. */
    public static final int OWNER_WRITE = 3;

    private static final String[] NAMES = {
        "FREE", "READING_HEAD", "QUEUED", "CONNECTING", "SENDING", "READING_BODY", "SENT", "ABORTING_REQUEST",
        "LINGERING", "REQUEST_DONE", "IDLE", "RECEIVING", "WRITING", "CANNED", "ABORTING_RESPONSE", "RESPONSE_DONE",
        "DRAINING",
    };
    private static final int[] OWNERS = {
        OWNER_NONE, OWNER_PARSE, OWNER_UPSTREAM, OWNER_UPSTREAM, OWNER_UPSTREAM, OWNER_PARSE, OWNER_UPSTREAM,
        OWNER_UPSTREAM, OWNER_PARSE, OWNER_NONE, OWNER_NONE, OWNER_UPSTREAM, OWNER_WRITE, OWNER_WRITE,
        OWNER_UPSTREAM, OWNER_NONE, OWNER_WRITE,
    };

    private ConnectionState() {
    }

    /**
     * @param state a state constant.
     * @return its name, for logs.
     */
    public static String name(final int state) {
        return state >= 0 && state < COUNT ? NAMES[state] : "UNKNOWN(" + state + ")";
    }

    /**
     * @param state a state constant.
     * @return the {@code OWNER_*} stage that owns a half in it.
     */
    public static int owner(final int state) {
        return OWNERS[state];
    }

    /**
     * @param state a state constant.
     * @return {@code true} for a request-half state, {@code false} for a response-half state.
     */
    public static boolean isRequestState(final int state) {
        return state < IDLE;
    }
}
