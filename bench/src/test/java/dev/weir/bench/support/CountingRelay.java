package dev.weir.bench.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 that counts the connections it accepts: put it between the proxy and the origin to
 * see how many origin connections the proxy opened. Two blocking pump threads per connection; a half-close on
 * one side is passed on to the other.
 * <p>
 * <b>Note:</b> {@link #start(int)} returns once listening; {@link #close()} closes the listener and every
 * relayed connection. Thread-safe.
 */
public final class CountingRelay implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private CountingRelay(final ServerSocket server, final int targetPort) {
        this.server = server;
        this.targetPort = targetPort;
        final Thread acceptor = new Thread(this::acceptLoop, "relay-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * @param targetPort the port on 127.0.0.1 to relay to.
     * @return the listening relay.
     * @throws IOException when it cannot bind.
     */
    public static CountingRelay start(final int targetPort) throws IOException {
        final ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        return new CountingRelay(server, targetPort);
    }

    /** @return the relay's port. */
    public int port() {
        return server.getLocalPort();
    }

    /** @return connections accepted so far. */
    public int connections() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                final Socket client = server.accept();
                accepted.incrementAndGet();
                final Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(target);
                pump(client, target);
                pump(target, client);
            } catch (final IOException e) {
                return;
            }
        }
    }

    private static void pump(final Socket from, final Socket to) {
        final Thread thread = new Thread(() -> {
            final byte[] buffer = new byte[64 * 1024];
            // Not try-with-resources: closing a socket's stream closes the socket, and the other way must go on.
            try {
                final InputStream in = from.getInputStream();
                final OutputStream out = to.getOutputStream();
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                }
                to.shutdownOutput();
            } catch (final IOException e) {
                closeQuietly(to);
            }
        }, "relay-pump-" + from.getPort());
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(final Socket socket) {
        try {
            socket.close();
        } catch (final IOException e) {
            // Already gone.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (final Socket socket : sockets) {
            closeQuietly(socket);
        }
    }
}
