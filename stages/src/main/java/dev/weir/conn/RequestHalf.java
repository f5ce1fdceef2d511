package dev.weir.conn;

import java.nio.ByteBuffer;

import dev.weir.arena.BlockPool;
import dev.weir.http.BodyFramer;
import dev.weir.http.RequestHead;
import dev.weir.http.RequestPolicy;

/**
 * The client-to-origin half of a slot: the parse block, the request head parsed in place, and the body framer.
 * <pre>
 *   parse block:  0 ........ bodyFrom ...... bodyEnd ........ filled ....... capacity
 *                 | head (first part) | body part | next pipelined request |
 *                                     ^ buffer position..limit while sending
 * </pre>
 * <p>
 * <b>Note:</b> owned by the stage its {@link #state} names ({@link ConnectionState#owner(int)}); the ring
 * hand-off orders the previous owner's writes before the next owner's reads.
 */
public final class RequestHalf {

    /** A request-half {@link ConnectionState}. */
    public int state = ConnectionState.FREE;
    /** Parse block handle, or {@link BlockPool#NO_BLOCK}. */
    public int block = BlockPool.NO_BLOCK;
    /** View over the parse block. */
    public ByteBuffer buffer;
    /** Absolute offset of the parse block in the parse arena's store. */
    public long base;
    /** Bytes received into the block. */
    public int filled;
    /** Start of the current body part in the block. */
    public int bodyFrom;
    /** End of the current body part; bytes after it belong to the next request. */
    public int bodyEnd;
    /** The current request head, a flyweight over the block, its tables sized by the request policy. */
    public final RequestHead head;
    /** Frames the request body. */
    public final BodyFramer framer = new BodyFramer();
    /** The client keeps the connection open after this exchange. */
    public boolean keepAlive;
    /** The whole request fitted the block when first sent, so it could be sent again. */
    public boolean replayable;
    /** The request was already sent again once. */
    public boolean retried;
    /** How this half wants the connection to end: a {@code ConnectionSlot.CLOSE_*} constant. */
    public int closeMode;
    /** After {@code 101 Switching Protocols}: the half carries the client's bytes to the origin until a close. */
    public boolean tunnel;
    /** Why the half is {@link ConnectionState#ABORTING_REQUEST}: 408 for a stalled body, 0 for a client gone. */
    public int abortStatus;
    /**
     * The producer's turn clock at a measured hand-off: the accept stage's when it hands a new connection to the
     * parse stage, the parse stage's when it hands the parsed head to the upstream stage ({@code QUEUED}). The
     * consumer subtracts it from its own turn clock to know how long hand-offs wait in its inbox.
     */
    public long queuedNs;
    /** Body bytes read from the client in this exchange (parse stage, or upstream reading through), for the rate. */
    public long bodyBytesRead;
    /** Parse stage: the client's pace while the body, or a lingering close, waits on it. */
    public final PaceWindow pace = new PaceWindow();

    /** A half under {@link RequestPolicy#DEFAULTS}. */
    public RequestHalf() {
        this(RequestPolicy.DEFAULTS);
    }

    /** @param policy the request limits and forwarding rules of the process. */
    public RequestHalf(final RequestPolicy policy) {
        head = new RequestHead(policy);
    }

    /** Prepare for a new exchange on the same connection; the block and its bytes stay. */
    public void beginExchange() {
        head.reset();
        framer.begin(BodyFramer.NONE, 0);
        bodyFrom = 0;
        bodyEnd = 0;
        keepAlive = false;
        replayable = false;
        retried = false;
        closeMode = ConnectionSlot.CLOSE_NONE;
        abortStatus = 0;
        tunnel = false;
        bodyBytesRead = 0;
        pace.reset();
    }

    /** Forget the connection. */
    void clear() {
        state = ConnectionState.FREE;
        block = BlockPool.NO_BLOCK;
        buffer = null;
        filled = 0;
        beginExchange();
    }
}
