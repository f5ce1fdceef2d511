package dev.weir.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * One origin connection's lifecycle, owned by one upstream stage thread for life: the object is permanent,
 * its socket is opened on demand and again after it is closed.
 * <pre>
 *   DISCONNECTED --open()--&gt; CONNECTING --finishConnect()--&gt; ATTACHED &lt;--attach()-- IDLE
 *        ^                        |                              |  release(reusable) -&gt;  ^
 *        +------- close() / reset(): from any state -------------+------------------------+
 * </pre>
 * A request waiting for a connection is {@code QUEUED} in the pool; one being written is the slot's
 * {@code SENDING}; both are states of the slot's request half, not of this object.
 * <p>
 * <b>Note:</b> touched only by the owning upstream stage thread.
 */
public final class UpstreamConnection {

    /** No socket; may be opened on demand. */
    public static final int DISCONNECTED = 0;
    /** A non-blocking connect is in progress for {@link #slot}. */
    public static final int CONNECTING = 1;
    /** Connected and serving the exchange of {@link #slot}. */
    public static final int ATTACHED = 2;
    /** Connected and free for the next request, its socket watched for the origin closing it. */
    public static final int IDLE = 3;

    /** Index within its pool. */
    public final int index;
    /** One of the states above. */
    public int state = DISCONNECTED;
    /** The socket, or {@code null} when disconnected. */
    public SocketChannel channel;
    /** The socket's registration with the owning stage's selector. */
    public SelectionKey key;
    /**
     * The server's index (over all groups) the socket is or will be connected to, or -1 while disconnected;
     * set by the pool.
     */
    public int server = -1;
    /** The slot index served, or -1. */
    public int slot = -1;
    /** Requests sent on the current socket: one that failed after the first may have been closed idle. */
    public long requestsOnSocket;
    private int interestOps;

    /** @param index index within its pool. */
    public UpstreamConnection(final int index) {
        this.index = index;
    }

    /**
     * Open a socket and start connecting.
     *
     * @param selector          the owning stage's selector.
     * @param origin            where to connect.
     * @param receiveBufferBytes {@code SO_RCVBUF}, boxed once by the caller.
     * @param sendBufferBytes   {@code SO_SNDBUF}, boxed once by the caller.
     * @return {@code true} when connected at once.
     * @throws IOException when the socket cannot be opened or the connect fails at once; the socket is closed.
     */
    public boolean open(final Selector selector, final InetSocketAddress origin, final Integer receiveBufferBytes,
        final Integer sendBufferBytes) throws IOException {
        // Allocates: a SocketChannel (and its SelectionKey) per origin connection opened; idle ones are reused.
        final SocketChannel opened = SocketChannel.open();
        channel = opened;
        requestsOnSocket = 0;
        interestOps = 0;
        try {
            opened.configureBlocking(false);
            opened.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
            opened.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
            opened.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
            key = opened.register(selector, 0, this);
            if (opened.connect(origin)) {
                state = ATTACHED;
                return true;
            }
        } catch (final IOException ex) {
            close();
            throw ex;
        }
        state = CONNECTING;
        interest(SelectionKey.OP_CONNECT);
        return false;
    }

    /**
     * @return {@code true} once connected.
     * @throws IOException when the connect failed; the caller closes.
     */
    public boolean finishConnect() throws IOException {
        if (!channel.finishConnect()) {
            return false;
        }
        state = ATTACHED;
        interest(0);
        return true;
    }

    /** Take an idle connection for a new exchange. */
    public void attach() {
        state = ATTACHED;
    }

    /** Park a connection after a clean exchange, watching for the origin closing it. */
    public void park() {
        state = IDLE;
        slot = -1;
        interest(SelectionKey.OP_READ);
    }

    /**
     * Set the selector interest, skipping the system call when it is unchanged.
     *
     * @param ops {@link SelectionKey} operations.
     */
    public void interest(final int ops) {
        if (ops != interestOps && key != null) {
            key.interestOps(ops);
            interestOps = ops;
        }
    }

    /** Close the socket, if any; the connection becomes {@link #DISCONNECTED}. */
    public void close() {
        final SocketChannel closing = channel;
        channel = null;
        key = null;
        // A later socket starts afresh: a stale count would make its first failure look like an idle close.
        requestsOnSocket = 0;
        interestOps = 0;
        state = DISCONNECTED;
        slot = -1;
        if (closing != null) {
            try {
                closing.close();
            } catch (final IOException ignored) {
                // Closing is best effort: the descriptor is gone either way.
            }
        }
    }

    /**
     * @param state a state constant.
     * @return its name, for logs.
     */
    public static String stateName(final int state) {
        switch (state) {
            case DISCONNECTED:
                return "DISCONNECTED";
            case CONNECTING:
                return "CONNECTING";
            case ATTACHED:
                return "ATTACHED";
            case IDLE:
                return "IDLE";
            default:
                return "UNKNOWN(" + state + ")";
        }
    }
}
