package dev.weir.support;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small blocking HTTP/1.1 origin on 127.0.0.1 for stage tests: a thread per connection, keep-alive,
 * {@code GET /size/N} answers N bytes of a known pattern, {@code POST /echo} answers the request body
 * (Content-Length or chunked), {@code GET /head} answers the request head it received, {@code GET /held} answers
 * when the test releases it, {@code GET /held-mid-body} sends half its body at once and the rest on release,
 * {@code GET /reset-mid-body/N} declares N bytes, sends half of them and resets the connection on release.
 */
public final class LoopbackOrigin implements AutoCloseable {

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connections = new AtomicInteger();
    /** Requests for {@code /held} received and not yet released, each waiting for a permit. */
    private final AtomicInteger held = new AtomicInteger();
    private final Semaphore releases = new Semaphore(0);

    private LoopbackOrigin() throws IOException {
        server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "loopback-origin");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * @return a started origin on an ephemeral port.
     * @throws IOException when it cannot bind.
     */
    public static LoopbackOrigin start() throws IOException {
        return new LoopbackOrigin();
    }

    /** @return the bound port. */
    public int port() {
        return server.getLocalPort();
    }

    /** @return the address. */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    /** @return connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** @return requests for {@code /held} (or {@code /held-mid-body}) waiting for {@link #releaseHeld()}. */
    public int heldRequests() {
        return held.get();
    }

    /** Let one request for {@code /held} be answered, now or when it arrives. */
    public void releaseHeld() {
        releases.release();
    }

    /**
     * @param i byte index.
     * @return the pattern byte at that index.
     */
    public static byte patternByte(final long i) {
        return (byte) ('a' + (i % 26));
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                final Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
                final Thread t = new Thread(() -> serve(socket), "loopback-origin-conn");
                t.setDaemon(true);
                t.start();
            } catch (final IOException ex) {
                return;
            }
        }
    }

    private void serve(final Socket socket) {
        try (socket) {
            // One write per response and no Nagle: a head and body in separate segments would wait for the
            // peer's delayed ACK (40 ms) on every request.
            socket.setTcpNoDelay(true);
            final InputStream in = new BufferedInputStream(socket.getInputStream());
            final OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            while (true) {
                final String head = readHead(in);
                if (head == null) {
                    return;
                }
                final String[] lines = head.split("\r\n");
                final String[] requestLine = lines[0].split(" ");
                long contentLength = -1;
                boolean chunked = false;
                for (int i = 1; i < lines.length; i++) {
                    final String lower = lines[i].toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        contentLength = Long.parseLong(lower.substring(15).trim());
                    } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        chunked = true;
                    }
                }
                final byte[] body = chunked ? readChunked(in) : in.readNBytes((int) Math.max(0, contentLength));
                final String target = requestLine[1];
                if (target.startsWith("/size/")) {
                    final int query = target.indexOf('?');
                    final long n = Long.parseLong(target.substring(6, query < 0 ? target.length() : query));
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                    if (!"HEAD".equals(requestLine[0])) {
                        final byte[] chunk = new byte[8192];
                        for (long sent = 0; sent < n; sent += chunk.length) {
                            final int len = (int) Math.min(chunk.length, n - sent);
                            for (int i = 0; i < len; i++) {
                                chunk[i] = patternByte(sent + i);
                            }
                            out.write(chunk, 0, len);
                        }
                    }
                } else if (target.equals("/head")) {
                    respond(out, head.getBytes(StandardCharsets.ISO_8859_1));
                } else if (target.equals("/held")) {
                    // Answered only when the test releases it: the proxy holds the exchange open meanwhile.
                    held.incrementAndGet();
                    releases.acquireUninterruptibly();
                    held.decrementAndGet();
                    respond(out, "held\n".getBytes(StandardCharsets.US_ASCII));
                } else if (target.equals("/held-mid-body")) {
                    // Half the body now, the rest when the test releases it: a response in flight meanwhile.
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    held.incrementAndGet();
                    releases.acquireUninterruptibly();
                    held.decrementAndGet();
                    out.write("world".getBytes(StandardCharsets.US_ASCII));
                } else if (target.startsWith("/reset-mid-body/")) {
                    // Half the declared body, then a reset on release: an origin that fails mid-body.
                    final int n = Integer.parseInt(target.substring(16));
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                    final byte[] half = new byte[n / 2];
                    for (int i = 0; i < half.length; i++) {
                        half[i] = patternByte(i);
                    }
                    out.write(half);
                    out.flush();
                    held.incrementAndGet();
                    releases.acquireUninterruptibly();
                    held.decrementAndGet();
                    socket.setSoLinger(true, 0);
                    return;
                } else if (target.equals("/close")) {
                    return;
                } else {
                    respond(out, body.length > 0 ? body : "hello\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            }
        } catch (final IOException ex) {
            // The peer went away; nothing to do in a test origin.
        }
    }

    private static void respond(final OutputStream out, final byte[] body) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
    }

    private static String readHead(final InputStream in) throws IOException {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static byte[] readChunked(final InputStream in) throws IOException {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            final String sizeLine = readLine(in);
            final int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // Trailer fields are ignored.
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(final InputStream in) throws IOException {
        final StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (final Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
