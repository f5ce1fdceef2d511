package dev.weir.conn;

/**
 * The states of a connection slot, as int constants; each names the stage that owns the slot in it.
 * <pre>
 *            accept
 *              |
 *              v
 *   +--> READING_HEAD (parse) --bad request--> WRITING_CANNED (write) --> closed
 *   |          |
 *   |          v
 *   |    FORWARDING_HEAD (upstream) <--> READING_BODY (parse) / FORWARDING_BODY (upstream)
 *   |          |
 *   |          v
 *   |    READING_RESPONSE (upstream) <--> WRITING_RESPONSE (write)
 *   |                                            |
 *   +-------------- keep-alive ------------------+--> closed
 *
 *   ABORTING (upstream): the client went away while an origin connection was attached.
 * </pre>
 */
public final class ConnectionState {

    /** In the free list. */
    public static final int FREE = 0;
    /** Parse stage: waiting for, or parsing, a request head. */
    public static final int READING_HEAD = 1;
    /** Upstream stage: taking an origin connection and sending the rewritten head and buffered body. */
    public static final int FORWARDING_HEAD = 2;
    /** Parse stage: reading the next part of the request body into the parse block. */
    public static final int READING_BODY = 3;
    /** Upstream stage: sending the request body part that the parse stage read. */
    public static final int FORWARDING_BODY = 4;
    /** Upstream stage: reading the response into the upstream block. */
    public static final int READING_RESPONSE = 5;
    /** Write stage: writing the upstream block to the client. */
    public static final int WRITING_RESPONSE = 6;
    /** Write stage: writing a preallocated error response, then closing. */
    public static final int WRITING_CANNED = 7;
    /** Upstream stage: closing the attached origin connection, then the slot. */
    public static final int ABORTING = 8;

    private ConnectionState() {
    }

    /**
     * @param state a state constant.
     * @return its name, for logs.
     */
    public static String name(final int state) {
        switch (state) {
            case FREE:
                return "FREE";
            case READING_HEAD:
                return "READING_HEAD";
            case FORWARDING_HEAD:
                return "FORWARDING_HEAD";
            case READING_BODY:
                return "READING_BODY";
            case FORWARDING_BODY:
                return "FORWARDING_BODY";
            case READING_RESPONSE:
                return "READING_RESPONSE";
            case WRITING_RESPONSE:
                return "WRITING_RESPONSE";
            case WRITING_CANNED:
                return "WRITING_CANNED";
            case ABORTING:
                return "ABORTING";
            default:
                return "UNKNOWN(" + state + ")";
        }
    }
}
