package dev.weir.conn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

import dev.weir.http.RequestPolicy;
import dev.weir.upstream.UpstreamConnection;

/**
 * One client connection, built at startup and reused for every connection it serves: the client socket and
 * the two halves of the current exchange, {@link #request} (client to origin) and {@link #response} (origin to
 * client), which move through the stages independently, so a body can stream both ways at once.
 * <p>
 * The half that ends second finishes the exchange ({@link #endHalf()} counts the open halves with one atomic
 * decrement): it keeps the connection for the next request, lingers, closes or resets it, as the stricter of
 * the two halves' {@code closeMode}s says.
 * <p>
 * <b>Note:</b> each half is owned by one stage thread at a time. The connection fields ({@link #client}, the
 * address) are written by the accept stage before the first hand-off and only read afterwards. {@link #origin}
 * and {@link #exchangeFailed} belong to the upstream stage.
 */
public final class ConnectionSlot {

    /** Longest client address text kept for {@code X-Forwarded-For} (an IPv6 address with scope fits). */
    public static final int MAX_ADDRESS_LENGTH = 64;

    /** Close mode: nothing asks to close; keep-alive if the request allows. */
    public static final int CLOSE_NONE = 0;
    /**
     * Close mode: close after the exchange, lingering: shut output, read and discard what the client still sends,
     * and close once it has taken everything queued for it (the only clean close; see the parse stage's linger).
     */
    public static final int CLOSE_LINGER = 2;
    /** Close mode: reset ({@code SO_LINGER} 0), so the client cannot take a truncated body for a whole one. */
    public static final int CLOSE_RESET = 3;

    /** Ring event bit: the event carries the response half (else the request half). */
    public static final int RESPONSE_HALF = 1;

    private static final VarHandle OPEN_HALVES;

    static {
        try {
            OPEN_HALVES = MethodHandles.lookup().findVarHandle(ConnectionSlot.class, "openHalves", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The slot's index in the table, fixed for life. */
    public final int index;
    /** The client's socket while connected. */
    public SocketChannel client;
    /** The client's registration with its parse stage's selector, made on the first read. */
    public SelectionKey parseKey;
    /**
     * Written by the parse stage only, read by whoever finishes an exchange: the parse stage has switched the
     * client's read interest off, so the client's next bytes would not wake it. A keep-alive hand-off back to
     * parse skips the selector wakeup only while this is {@code false} (volatile on both sides: the finisher
     * reads it after publishing, the parse stage sets it before it next checks its inbox).
     */
    public volatile boolean clientReadPaused;
    /** The client's registration with its write stage's selector, made on the first blocked write. */
    public SelectionKey writeKey;
    /**
     * The client socket's {@code SO_SNDBUF} is grown by a grant of the large send buffers: set by the write
     * stage, which alone grows and shrinks it; the grant goes back when the write stage has seen the queue
     * drain, or when the connection is reset.
     */
    public boolean sendBufferGrown;
    /** The client socket's file descriptor, or -1 when unknown; read for its send queue's length. */
    public int clientDescriptor = -1;
    /** The client's address as ASCII text. */
    public final byte[] clientAddress = new byte[MAX_ADDRESS_LENGTH];
    /** Bytes of {@link #clientAddress} in use. */
    public int clientAddressLength;
    /** The request half. */
    public final RequestHalf request;
    /** The response half. */
    public final ResponseHalf response = new ResponseHalf();
    /** What the metrics and the access log learn of the current exchange. */
    public final ExchangeFacts facts = new ExchangeFacts();

    /** Upstream stage only: the origin connection serving the exchange, or {@code null}. */
    public UpstreamConnection origin;
    /** Upstream stage only: the exchange failed or was answered; a half arriving now just ends. */
    public boolean exchangeFailed;

    /** Halves of the current exchange not yet ended; see {@link #endHalf()}. */
    @SuppressWarnings("unused")
    private int openHalves;

    /** @param index the slot's index in the table; the request half under {@link RequestPolicy#DEFAULTS}. */
    public ConnectionSlot(final int index) {
        this(index, RequestPolicy.DEFAULTS);
    }

    /**
     * @param index  the slot's index in the table.
     * @param policy the request limits and forwarding rules, which size the request head's tables.
     */
    public ConnectionSlot(final int index, final RequestPolicy policy) {
        this.index = index;
        this.request = new RequestHalf(policy);
    }

    /**
     * @param index a slot index.
     * @param half  0 for the request half, {@link #RESPONSE_HALF} for the response half.
     * @return the ring event carrying that half.
     */
    public static int event(final int index, final int half) {
        return index << 1 | half;
    }

    /** Start an exchange: both halves open, owned by the parse stage, which hands the request half on. */
    public void beginExchange() {
        request.beginExchange();
        response.beginExchange();
        facts.begin();
        exchangeFailed = false;
        OPEN_HALVES.setRelease(this, 2);
    }

    /**
     * End one half of the exchange; called by the owner of that half, after its last write to the slot.
     *
     * @return {@code true} for the second half to end: the caller finishes the exchange and sees every write
     *         the other half's owner made before ending it.
     */
    public boolean endHalf() {
        return (int) OPEN_HALVES.getAndAdd(this, -1) == 1;
    }

    /** @return the close mode the exchange ends with: the stricter of the two halves'. */
    public int closeMode() {
        return Math.max(request.closeMode, response.closeMode);
    }

    /** Forget the connection; called when the slot returns to the free list. */
    public void clear() {
        client = null;
        parseKey = null;
        clientReadPaused = false;
        writeKey = null;
        sendBufferGrown = false;
        clientDescriptor = -1;
        clientAddressLength = 0;
        origin = null;
        exchangeFailed = false;
        request.clear();
        response.clear();
        facts.begin();
        OPEN_HALVES.setRelease(this, 0);
    }
}
