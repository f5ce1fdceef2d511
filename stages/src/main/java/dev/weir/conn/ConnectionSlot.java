package dev.weir.conn;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

import dev.weir.arena.BlockPool;
import dev.weir.http.ChunkedScanner;
import dev.weir.http.RequestHead;
import dev.weir.http.ResponseHead;
import dev.weir.upstream.UpstreamConnection;

/**
 * One connection's state machine, built at startup and reused for every connection it serves.
 * <p>
 * While a client is connected the slot holds a parse block (request head and body parts) and an upstream
 * block (the forwarded head, then response parts), both views into committed arenas, and the parsed heads as
 * flyweights over them. Its {@link #state} says which stage owns it.
 * <p>
 * <b>Note:</b> owned by exactly one stage thread at a time. Fields are plain and public, like a Disruptor
 * event: the ring hand-off between stages orders every write before the next owner's reads.
 */
public final class ConnectionSlot {

    /** Longest client address text kept for {@code X-Forwarded-For} (an IPv6 address with scope fits). */
    public static final int MAX_ADDRESS_LENGTH = 64;

    /** The slot's index in the table, fixed for life. */
    public final int index;
    /** A {@link ConnectionState} constant. */
    public int state = ConnectionState.FREE;
    /** The client's socket while connected. */
    public SocketChannel client;
    /** The client's registration with its parse stage's selector, made on the first read. */
    public SelectionKey parseKey;
    /** The client's registration with its write stage's selector, made on the first blocked write. */
    public SelectionKey writeKey;
    /** The client's address as ASCII text. */
    public final byte[] clientAddress = new byte[MAX_ADDRESS_LENGTH];
    /** Bytes of {@link #clientAddress} in use. */
    public int clientAddressLength;

    /** Parse block handle, or {@link BlockPool#NO_BLOCK}. */
    public int requestBlock = BlockPool.NO_BLOCK;
    /** View over the parse block. */
    public ByteBuffer requestBuffer;
    /** Absolute offset of the parse block in the parse arena's store. */
    public long requestBase;
    /** Bytes received into the parse block. */
    public int requestFilled;
    /** Start of bytes in the parse block after the current request (a pipelined next request). */
    public int leftoverStart;
    /** The current request head. */
    public final RequestHead request = new RequestHead();
    /** Request body bytes still to come when framed by {@code Content-Length}. */
    public long requestBodyRemaining;
    /** Follows a chunked request body. */
    public final ChunkedScanner requestChunks = new ChunkedScanner();
    /** The whole request, head and body, has been handed to the origin connection. */
    public boolean requestComplete;
    /** The whole request fitted the parse block, so it can be sent again on a fresh origin connection. */
    public boolean requestReplayable;
    /** The request was already sent again once after a reused origin connection failed. */
    public boolean retried;
    /** The client keeps the connection open after this exchange. */
    public boolean keepAlive;

    /** Upstream block handle, or {@link BlockPool#NO_BLOCK}. */
    public int responseBlock = BlockPool.NO_BLOCK;
    /** View over the upstream block. */
    public ByteBuffer responseBuffer;
    /** Absolute offset of the upstream block in the upstream arena's store. */
    public long responseBase;
    /** Bytes received into the upstream block. */
    public int responseFilled;
    /** Bytes of the upstream block that belong to the response and go to the client. */
    public int responseEnd;
    /** The origin connection serving this request, or {@code null}. */
    public UpstreamConnection upstream;
    /** The current response head. */
    public final ResponseHead response = new ResponseHead();
    /** The response head has been parsed. */
    public boolean responseHeadParsed;
    /** A {@code ResponseHead.FRAMING_*} constant. */
    public int responseFraming;
    /** Response body bytes still to come when framed by {@code Content-Length}. */
    public long responseBodyRemaining;
    /** Follows a chunked response body. */
    public final ChunkedScanner responseChunks = new ChunkedScanner();
    /** The whole response has been read from the origin. */
    public boolean responseComplete;
    /** Some of the response has been handed to the write stage: an error can no longer be answered. */
    public boolean responseStarted;

    /** Status code of the canned response to write, when {@link #state} is {@code WRITING_CANNED}. */
    public int cannedStatus;
    /** Bytes of the canned response written so far. */
    public int cannedWritten;

    /** @param index the slot's index in the table. */
    public ConnectionSlot(final int index) {
        this.index = index;
    }

    /** Prepare for a new exchange on the same connection. */
    public void beginExchange() {
        request.reset();
        requestBodyRemaining = 0;
        requestChunks.reset();
        requestComplete = false;
        requestReplayable = false;
        retried = false;
        keepAlive = false;
        response.reset();
        responseFilled = 0;
        responseEnd = 0;
        responseHeadParsed = false;
        responseFraming = 0;
        responseBodyRemaining = 0;
        responseChunks.reset();
        responseComplete = false;
        responseStarted = false;
        cannedStatus = 0;
        cannedWritten = 0;
    }

    /** Forget the connection; called when the slot returns to the free list. */
    public void clear() {
        state = ConnectionState.FREE;
        client = null;
        parseKey = null;
        writeKey = null;
        clientAddressLength = 0;
        requestBlock = BlockPool.NO_BLOCK;
        requestBuffer = null;
        requestFilled = 0;
        leftoverStart = 0;
        responseBlock = BlockPool.NO_BLOCK;
        responseBuffer = null;
        upstream = null;
        beginExchange();
    }
}
