package dev.weir.conn;

import java.nio.ByteBuffer;

import dev.weir.arena.BlockPool;
import dev.weir.http.BodyFramer;
import dev.weir.http.ResponseHead;

/**
 * The origin-to-client half of a slot: the upstream block, the response head parsed in place, and the body
 * framer. Until the forwarded request head has been sent the block lends its space to that head.
 * <pre>
 *   upstream block:  0 .................. end ........ filled ......... capacity
 *                    | part for the client | unframed (never: bytes past a response are dropped) |
 * </pre>
 * <p>
 * <b>Note:</b> owned by the stage its {@link #state} names; see {@link RequestHalf}.
 */
public final class ResponseHalf {

    /** A response-half {@link ConnectionState}. */
    public int state = ConnectionState.IDLE;
    /** Upstream block handle, or {@link BlockPool#NO_BLOCK}. */
    public int block = BlockPool.NO_BLOCK;
    /** View over the upstream block. */
    public ByteBuffer buffer;
    /** Absolute offset of the upstream block in the upstream arena's store. */
    public long base;
    /** Bytes received into the block. */
    public int filled;
    /** Start of the part for the client: the rebuilt head's start for the first part, else 0. */
    public int start;
    /** End of the part for the client. */
    public int end;
    /** Bytes after an interim head that begin the next head, carried over once the interim head is written. */
    public int carry;
    /** The response head, a flyweight over the block. */
    public final ResponseHead head = new ResponseHead();
    /** The head has been parsed. */
    public boolean headParsed;
    /** Frames the response body. */
    public final BodyFramer framer = new BodyFramer();
    /** {@code TCP_QUICKACK} was asked on the origin socket for this response (once: it lasts until the next send). */
    public boolean quickAckAsked;
    /** Some of the response went toward the client: an error can no longer be answered, only reset. */
    public boolean started;
    /** The part being written is the last of the response. */
    public boolean last;
    /** Status of the canned answer, in {@link ConnectionState#CANNED}. */
    public int cannedStatus;
    /** Bytes of the canned answer written. */
    public int cannedWritten;
    /** How this half wants the connection to end: a {@code ConnectionSlot.CLOSE_*} constant. */
    public int closeMode;
    /**
     * The producer's turn clock when it handed the half to the write stage ({@code WRITING} or {@code CANNED});
     * the write stage subtracts it from its own turn clock to know how long halves wait in its inbox.
     */
    public long queuedNs;
    /** Write stage: the client's pace while the response waits on it to take more. */
    public final PaceWindow pace = new PaceWindow();

    /** Prepare for a new exchange. */
    public void beginExchange() {
        state = ConnectionState.IDLE;
        head.reset();
        headParsed = false;
        framer.begin(BodyFramer.NONE, 0);
        filled = 0;
        start = 0;
        end = 0;
        carry = 0;
        started = false;
        quickAckAsked = false;
        last = false;
        cannedStatus = 0;
        cannedWritten = 0;
        closeMode = ConnectionSlot.CLOSE_NONE;
        pace.reset();
    }

    /** Forget the connection. */
    void clear() {
        block = BlockPool.NO_BLOCK;
        buffer = null;
        beginExchange();
    }
}
