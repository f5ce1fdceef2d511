package dev.weir.bench.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A listening socket on 127.0.0.1 on which a TCP connect never completes: an origin for connect timeouts. It
 * listens with a backlog of 1, never accepts, and fills its accept queue with connections of its own; Linux then
 * drops further SYNs, so a connect hangs (retrying its SYN) until the connector gives up.
 * <p>
 * {@link #start()} proves the trick works on this kernel: it returns only once a probe connect has failed to
 * complete within {@link #PROBE_MS}, and throws otherwise.
 * <p>
 * <b>Note:</b> not thread-safe; {@link #close()} closes the listener and its own connections.
 */
public final class UnacceptingListener implements AutoCloseable {

    /** How long a connect must hang before the listener counts as unreachable. */
    public static final int PROBE_MS = 300;
    private static final int MAX_FILLERS = 16;

    private final ServerSocket server;
    private final List<Socket> fillers = new ArrayList<>();

    private UnacceptingListener(final ServerSocket server) {
        this.server = server;
    }

    /**
     * Binds, fills the accept queue and checks that a further connect hangs.
     *
     * @return the listener.
     * @throws IOException when it cannot bind, or when connects still complete after {@value #MAX_FILLERS}
     *         fillers (the kernel does not drop SYNs on a full queue).
     */
    public static UnacceptingListener start() throws IOException {
        final ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        final UnacceptingListener listener = new UnacceptingListener(server);
        try {
            while (listener.fillers.size() < MAX_FILLERS) {
                final Socket probe = new Socket();
                try {
                    probe.connect(server.getLocalSocketAddress(), PROBE_MS);
                } catch (final SocketTimeoutException e) {
                    probe.close();
                    return listener;
                }
                listener.fillers.add(probe);
            }
        } catch (final IOException e) {
            listener.close();
            throw e;
        }
        listener.close();
        throw new IOException("connects still complete after " + MAX_FILLERS + " unaccepted connections: this kernel"
            + " does not drop SYNs on a full accept queue");
    }

    /** @return the port on 127.0.0.1. */
    public int port() {
        return server.getLocalPort();
    }

    /** @return connections this listener made to fill its own queue. */
    public int fillers() {
        return fillers.size();
    }

    @Override
    public void close() throws IOException {
        for (final Socket filler : fillers) {
            filler.close();
        }
        server.close();
    }
}
