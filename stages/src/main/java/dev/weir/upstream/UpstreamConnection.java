package dev.weir.upstream;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One keep-alive connection to the origin, owned by one upstream stage thread for life.
 * <p>
 * The object is permanent; its socket is opened when first needed and again after the origin closes it.
 * <p>
 * <b>Note:</b> touched only by the owning upstream stage thread.
 */
public final class UpstreamConnection {

    /** No socket; may be connected on demand. */
    public static final int DISCONNECTED = 0;
    /** A non-blocking connect is in progress for {@link #slot}. */
    public static final int CONNECTING = 1;
    /** Connected and free for the next request. */
    public static final int IDLE = 2;
    /** Serving the request of {@link #slot}. */
    public static final int BUSY = 3;

    /** Index within its pool. */
    public final int index;
    /** One of the states above. */
    public int state = DISCONNECTED;
    /** The socket, or {@code null} when disconnected. */
    public SocketChannel channel;
    /** The socket's registration with the owning stage's selector. */
    public SelectionKey key;
    /** The slot index served, or -1. */
    public int slot = -1;
    /** Requests served on the current socket: a reused socket may have been closed by the origin meanwhile. */
    public long requestsOnSocket;

    /** @param index index within its pool. */
    public UpstreamConnection(final int index) {
        this.index = index;
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
            case IDLE:
                return "IDLE";
            case BUSY:
                return "BUSY";
            default:
                return "UNKNOWN(" + state + ")";
        }
    }
}
