package dev.weir.conn;

import static dev.weir.conn.ConnectionState.ABORTING_REQUEST;
import static dev.weir.conn.ConnectionState.ABORTING_RESPONSE;
import static dev.weir.conn.ConnectionState.CANNED;
import static dev.weir.conn.ConnectionState.CONNECTING;
import static dev.weir.conn.ConnectionState.COUNT;
import static dev.weir.conn.ConnectionState.DRAINING;
import static dev.weir.conn.ConnectionState.FREE;
import static dev.weir.conn.ConnectionState.IDLE;
import static dev.weir.conn.ConnectionState.LINGERING;
import static dev.weir.conn.ConnectionState.QUEUED;
import static dev.weir.conn.ConnectionState.READING_BODY;
import static dev.weir.conn.ConnectionState.READING_HEAD;
import static dev.weir.conn.ConnectionState.RECEIVING;
import static dev.weir.conn.ConnectionState.REQUEST_DONE;
import static dev.weir.conn.ConnectionState.RESPONSE_DONE;
import static dev.weir.conn.ConnectionState.SENDING;
import static dev.weir.conn.ConnectionState.SENT;
import static dev.weir.conn.ConnectionState.WRITING;

/**
 * The table of legal moves between {@link ConnectionState}s: every (from, to) pair a half may take, each with
 * the reason it is taken. {@code Wiring.move} refuses any other move as a bug; a test enumerates the table and
 * checks that every state is reachable and every non-final state can end.
 * <p>
 * <b>Note:</b> immutable; the lookup matrix is built once.
 */
public final class ConnectionMoves {

    /** Each row: from, to. Comments give the reason. */
    static final int[][] MOVES = {
        // Request half.
        {FREE, READING_HEAD},              // accepted, or keep-alive: the next head
        {READING_HEAD, QUEUED},            // head parsed: wait for an origin connection
        {READING_HEAD, REQUEST_DONE},      // bad head or head timeout: a canned answer follows
        {READING_HEAD, LINGERING},         // client ended its stream or idled past keep-alive, last answer untaken
        {READING_HEAD, FREE},              // client closed, idle past its keep-alive or head deadline, or idle
                                           // while connections wait for a slot (reclaimed)
        {QUEUED, CONNECTING},              // a free origin connection, to be opened
        {QUEUED, SENDING},                 // an idle origin connection
        {QUEUED, REQUEST_DONE},            // queue timeout (503), or the head could not be forwarded
        {CONNECTING, SENDING},             // connected
        {CONNECTING, QUEUED},              // connect failed: retry once on another server of the group
        {CONNECTING, REQUEST_DONE},        // connect failed (502) or timed out (504)
        {SENDING, READING_BODY},           // part sent, more body to come and not read through
        {SENDING, SENT},                   // the whole request sent
        {SENDING, QUEUED},                 // a reused origin connection failed: retry once when allowed
        {SENDING, REQUEST_DONE},           // origin failed or answered early: the rest is not forwarded
        {READING_BODY, SENDING},           // a body part read
        {READING_BODY, ABORTING_REQUEST},  // client closed or stalled mid-body
        {SENT, QUEUED},                    // a reused origin connection failed before any response: retry
        {SENT, READING_BODY},              // 101 Switching Protocols: the client's bytes now tunnel to the origin
        {SENT, SENDING},                   // 101, with the client's first tunnel bytes already read: send them
        {SENT, REQUEST_DONE},              // the response ended (or failed)
        {ABORTING_REQUEST, REQUEST_DONE},  // origin connection dropped
        {REQUEST_DONE, READING_HEAD},      // exchange finished, keep-alive
        {REQUEST_DONE, LINGERING},         // exchange finished, closing: client input unread or answer untaken
        {REQUEST_DONE, FREE},              // exchange finished, connection reset
        {LINGERING, FREE},                 // client took the answer and closed, or linger deadline
        // Response half.
        {IDLE, RECEIVING},                 // forwarded head fully sent: read the origin
        {IDLE, CANNED},                    // bad head, timeout or no origin: answer from preallocated bytes
        {IDLE, RESPONSE_DONE},             // refused by an admission gate: the parse stage wrote the 503 itself
        {RECEIVING, WRITING},              // a part the client did not take whole, an interim head,
                                           // or write.through off
        {RECEIVING, CANNED},               // origin failed or timed out before any response byte
        {RECEIVING, IDLE},                 // retry on a fresh origin connection
        {RECEIVING, RESPONSE_DONE},        // last part written through (or the client failed on it), origin failed
                                           // mid-response (client reset), or exchange aborted
        {RECEIVING, DRAINING},             // last part written through into a grown send buffer
        {WRITING, RECEIVING},              // part written, read the next
        {WRITING, RESPONSE_DONE},          // last part written, or client failed on it
        {WRITING, ABORTING_RESPONSE},      // client failed or stalled with the origin still attached
        {WRITING, DRAINING},               // last part written into a grown send buffer
        {CANNED, RESPONSE_DONE},           // answer written (or client gone)
        {ABORTING_RESPONSE, RESPONSE_DONE}, // origin connection dropped
        {DRAINING, RESPONSE_DONE},         // the client took the queue down to the planned size (the grant is
                                           // free), or slower than the minimum rate (reset)
        {RESPONSE_DONE, IDLE},             // exchange finished
    };

    private static final boolean[][] LEGAL = new boolean[COUNT][COUNT];

    static {
        for (final int[] move : MOVES) {
            LEGAL[move[0]][move[1]] = true;
        }
    }

    private ConnectionMoves() {
    }

    /**
     * @param from a state.
     * @param to   a state.
     * @return {@code true} when a half may move from {@code from} to {@code to}.
     */
    public static boolean isLegal(final int from, final int to) {
        return LEGAL[from][to];
    }

    /** @return a copy of the table, one {from, to} pair per row. */
    public static int[][] moves() {
        final int[][] copy = new int[MOVES.length][];
        for (int i = 0; i < MOVES.length; i++) {
            copy[i] = MOVES[i].clone();
        }
        return copy;
    }
}
