package dev.weir.bench.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fills every kernel buffer of a proxy's sockets: an origin and clients that open WebSocket tunnels through the
 * proxy, then both write as fast as the proxy takes bytes and never read. Each tunnel ends with the proxy's
 * client socket's receive and send queues and its origin socket's receive and send queues full, the most kernel
 * memory one pair of proxy sockets can hold.
 * <p>
 * The flooder's own sockets ask for the smallest buffers, so that a system-wide figure such as
 * {@code /proc/net/sockstat} is mostly the proxy's.
 * <p>
 * <b>Note:</b> single-threaded: every method runs on the caller's thread; {@link #close()} closes every socket.
 */
public final class FloodTunnels implements AutoCloseable {

    /** The path prefix of a tunnel's request: the proxy routes it to {@link #originPort()}. */
    public static final String PATH = "/flood/";
    private static final int PEER_BUFFER_BYTES = 4096;
    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};
    private static final byte[] SWITCH = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UPGRADE = ("GET " + PATH + "ws HTTP/1.1\r\nHost: weir\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);

    private final Selector selector;
    private final ServerSocketChannel origin;
    private final List<SocketChannel> channels = new ArrayList<>();
    private final ByteBuffer filler = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
    private long bytesWritten;
    private long lastProgressNanos = System.nanoTime();
    private int tunnels;

    /** One socket's progress through its handshake; then only its writes. */
    private static final class Peer {
        final boolean client;
        ByteBuffer out;
        int headEndMatched;
        long headBytes;
        boolean open;

        Peer(final boolean client, final ByteBuffer out) {
            this.client = client;
            this.out = out;
        }
    }

    private FloodTunnels(final Selector selector, final ServerSocketChannel origin) {
        this.selector = selector;
        this.origin = origin;
        while (filler.hasRemaining()) {
            filler.put((byte) 'f');
        }
    }

    /**
     * Binds the origin on 127.0.0.1.
     *
     * @return the flooder, with no tunnel yet.
     * @throws IOException when it cannot bind.
     */
    public static FloodTunnels start() throws IOException {
        final Selector selector = Selector.open();
        final ServerSocketChannel origin = ServerSocketChannel.open();
        origin.setOption(StandardSocketOptions.SO_RCVBUF, PEER_BUFFER_BYTES);
        origin.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        origin.configureBlocking(false);
        origin.register(selector, SelectionKey.OP_ACCEPT);
        return new FloodTunnels(selector, origin);
    }

    /** @return the origin's port on 127.0.0.1. */
    public int originPort() {
        return origin.socket().getLocalPort();
    }

    /** @return tunnels whose 101 reached the client. */
    public int tunnels() {
        return tunnels;
    }

    /** @return bytes written by clients and origin so far. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /**
     * Opens {@code count} tunnels through the proxy, {@code batch} connects at a time, and floods them until no
     * socket has taken a byte for {@code quietMs}, or the deadline.
     *
     * @param proxyPort the proxy's port on 127.0.0.1.
     * @param count     tunnels to open.
     * @param batch     connects in flight at most.
     * @param quietMs   how long no write may succeed before the buffers count as full.
     * @param deadlineMs longest the whole fill may take.
     * @return whether the buffers went quiet before the deadline with every tunnel open.
     * @throws IOException on a socket error other than the proxy refusing a tunnel.
     */
    public boolean fill(final int proxyPort, final int count, final int batch, final long quietMs,
        final long deadlineMs) throws IOException {
        final long deadline = System.nanoTime() + deadlineMs * 1_000_000L;
        int started = 0;
        while (System.nanoTime() < deadline) {
            while (started < count && started - tunnels < batch) {
                connect(proxyPort);
                started++;
            }
            selector.select(10);
            for (final SelectionKey key : selector.selectedKeys()) {
                handle(key);
            }
            selector.selectedKeys().clear();
            if (tunnels == count && System.nanoTime() - lastProgressNanos > quietMs * 1_000_000L) {
                return true;
            }
        }
        return false;
    }

    private void connect(final int proxyPort) throws IOException {
        final SocketChannel ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.SO_RCVBUF, PEER_BUFFER_BYTES);
        ch.setOption(StandardSocketOptions.SO_SNDBUF, PEER_BUFFER_BYTES);
        ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort));
        ch.configureBlocking(false);
        channels.add(ch);
        ch.register(selector, SelectionKey.OP_WRITE, new Peer(true, ByteBuffer.wrap(UPGRADE)));
    }

    private void handle(final SelectionKey key) throws IOException {
        if (key.isAcceptable()) {
            final SocketChannel ch = origin.accept();
            if (ch != null) {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, PEER_BUFFER_BYTES);
                ch.configureBlocking(false);
                channels.add(ch);
                ch.register(selector, SelectionKey.OP_READ, new Peer(false, null));
            }
            return;
        }
        final SocketChannel ch = (SocketChannel) key.channel();
        final Peer peer = (Peer) key.attachment();
        if (key.isReadable() && !peer.open) {
            readHead(key, ch, peer);
        }
        if (key.isValid() && key.isWritable()) {
            write(key, ch, peer);
        }
    }

    /** Reads up to the end of the head (the origin: the request; the client: the 101), then stops reading. */
    private void readHead(final SelectionKey key, final SocketChannel ch, final Peer peer) throws IOException {
        scratch.clear();
        final int n = ch.read(scratch);
        if (n < 0) {
            throw new IOException((peer.client ? "the proxy" : "the origin's peer") + " closed a tunnel before its head"
                + " ended");
        }
        for (int i = 0; i < n && peer.headEndMatched < HEAD_END.length; i++) {
            final byte b = scratch.get(i);
            if (peer.client && peer.headBytes + i == 9 && b != '1') {
                throw new IOException("the proxy answered a tunnel's handshake with status " + (char) b + "xx");
            }
            peer.headEndMatched = b == HEAD_END[peer.headEndMatched] ? peer.headEndMatched + 1
                : b == HEAD_END[0] ? 1 : 0;
        }
        peer.headBytes += n;
        if (peer.headEndMatched == HEAD_END.length) {
            peer.open = true;
            if (peer.client) {
                tunnels++;
            } else {
                peer.out = ByteBuffer.wrap(SWITCH);
            }
            key.interestOps(SelectionKey.OP_WRITE);
            lastProgressNanos = System.nanoTime();
        }
    }

    private void write(final SelectionKey key, final SocketChannel ch, final Peer peer) throws IOException {
        if (peer.out != null && peer.out.hasRemaining()) {
            ch.write(peer.out);
            if (!peer.out.hasRemaining() && peer.client && !peer.open) {
                key.interestOps(SelectionKey.OP_READ);
            }
            return;
        }
        if (!peer.open) {
            return;
        }
        for (int n = 1; n > 0; ) {
            filler.clear();
            try {
                n = ch.write(filler);
            } catch (final IOException e) {
                throw new IOException("the proxy cut a " + (peer.client ? "client" : "origin") + " side after "
                    + tunnels + " tunnels opened (a deadline while the fill took long?)", e);
            }
            if (n > 0) {
                bytesWritten += n;
                lastProgressNanos = System.nanoTime();
            }
        }
    }

    @Override
    public void close() throws IOException {
        for (final SocketChannel ch : channels) {
            ch.close();
        }
        origin.close();
        selector.close();
    }
}
