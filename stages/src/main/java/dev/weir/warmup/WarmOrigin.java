package dev.weir.warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.weir.http.HttpBytes;

/**
 * The origin of the warm-up: a blocking HTTP/1.1 responder on {@code 127.0.0.1}, one thread per connection the
 * warm-up pipeline opens, answering by path:
 * <pre>
 *   /warm/bytes/N      200, Content-Length N
 *   /warm/chunked/N    200, N bytes in chunks of 8 KiB
 *   /warm/status/404   404, a short body
 *   anything else      200, "ok" (the active health check's path among them)
 * </pre>
 * A request body (Content-Length) is read and dropped; HEAD gets the head only; a request with
 * {@code Connection: close}, and every {@value #ANSWERS_PER_CONNECTION}th on a connection, is answered with it
 * and the connection closed.
 * <p>
 * <b>Note:</b> runs before "ready", on threads of its own that allocate as they like; {@link #close()} closes their
 * sockets and joins them.
 */
final class WarmOrigin implements AutoCloseable {

    private static final int CHUNK_BYTES = 8 * 1024;
    /** Most bytes one write hands the JDK: its temporary direct buffer per thread is this large at most. */
    private static final int WRITE_BYTES = 16 * 1024;
    /** A request head Weir forwards: the warm-up's are below 2 KiB. */
    private static final int REQUEST_HEAD_BYTES = 8 * 1024;
    /** An answer's head, and a chunk's size line. */
    private static final int ANSWER_HEAD_BYTES = 1024;
    /**
     * Answers on one connection before the origin closes it (saying so in its last answer), so that opening origin
     * connections runs throughout the warm-up, as origins' own keep-alive limits make it run in traffic.
     */
    static final int ANSWERS_PER_CONNECTION = 64;
    /** Longest {@link #close()} waits for one thread; a closed socket ends a blocked read or write at once. */
    private static final long JOIN_MS = 1_000;
    /** Connections served at once; the warm-up pipeline opens far fewer. */
    private static final int MAX_CONNECTIONS = 128;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = HttpBytes.ascii("0\r\n\r\n");
    private static final int OK = 0;
    private static final int BYTES = 1;
    private static final int CHUNKED = 2;
    private static final int NOT_FOUND = 3;

    /**
     * Response headers as origins send them, one set per answer in turn, so the response head parser and rewriter
     * see what real answers carry.
     */
    private static final byte[][] HEADER_SETS = {
        HttpBytes.ascii("Date: Wed, 02 Dec 2026 04:00:00 GMT\r\nServer: nginx/1.26.2\r\n"
            + "Content-Type: text/html; charset=utf-8\r\nCache-Control: public, max-age=60\r\nETag: \"33a64df5\"\r\n"
            + "Last-Modified: Tue, 01 Dec 2026 08:00:00 GMT\r\nVary: Accept-Encoding\r\nAccept-Ranges: bytes\r\n"),
        HttpBytes.ascii("Content-Type: application/json\r\nSet-Cookie: id=a3fWa; Path=/; HttpOnly\r\n"
            + "X-Request-Id: 5f0c2d1e-8b7a-4c3e-9f1a-2b6d4e8c0a11\r\nConnection: keep-alive\r\n"
            + "Keep-Alive: timeout=60\r\n"),
        new byte[0],
    };
    private static final byte[] NO_FIELDS = {};
    private static final byte[] STATUS_200 = HttpBytes.ascii("HTTP/1.1 200 OK\r\n");
    private static final byte[] STATUS_404 = HttpBytes.ascii("HTTP/1.1 404 Not Found\r\n");
    private static final byte[] CONTENT_LENGTH = HttpBytes.ascii("Content-Length: ");
    private static final byte[] CHUNKED_FIELD = HttpBytes.ascii("Transfer-Encoding: chunked\r\n");
    private static final byte[] CONNECTION_CLOSE = HttpBytes.ascii("Connection: close\r\n");
    private static final byte[] OK_BODY = HttpBytes.ascii("ok\n");
    private static final byte[] NOT_FOUND_BODY = HttpBytes.ascii("not found\n");

    private final ServerSocket server;
    private final Thread acceptor;
    /** Each open connection and the thread serving it. */
    private final ConcurrentHashMap<Socket, Thread> open = new ConcurrentHashMap<>();
    private final AtomicInteger served = new AtomicInteger();
    /** Every body's bytes, as many as the largest body; garbage once the warm-up ends. */
    private final byte[] body;
    private volatile boolean closed;

    private WarmOrigin(final ServerSocket server, final int maxBodyBytes) {
        this.server = server;
        this.body = new byte[maxBodyBytes];
        this.acceptor = new Thread(this::acceptLoop, "weir-warm-origin");
        this.acceptor.setDaemon(true);
    }

    /**
     * Bind to a free port on {@code 127.0.0.1} and start accepting.
     *
     * @param maxBodyBytes the largest body asked for; larger asks get this many.
     * @return the running origin.
     * @throws IOException when no port can be bound.
     */
    static WarmOrigin start(final int maxBodyBytes) throws IOException {
        final ServerSocket server = new ServerSocket();
        // The literal the warm-up configuration names, whatever the JVM prefers for "localhost".
        server.bind(new InetSocketAddress(InetAddress.getByName(WarmUp.LOOPBACK), 0), MAX_CONNECTIONS);
        final WarmOrigin origin = new WarmOrigin(server, maxBodyBytes);
        origin.acceptor.start();
        return origin;
    }

    /** @return the bound port. */
    int port() {
        return server.getLocalPort();
    }

    /** @return requests answered so far. */
    int served() {
        return served.get();
    }

    private void acceptLoop() {
        int connection = 0;
        while (!closed) {
            final Socket socket;
            try {
                socket = server.accept();
            } catch (final IOException ex) {
                if (closed) {
                    return;
                }
                // Out of descriptors, or a connection aborted before it was taken: the next one may do.
                continue;
            }
            if (open.size() >= MAX_CONNECTIONS) {
                closeQuietly(socket);
                continue;
            }
            final Thread worker = new Thread(() -> serve(socket), "weir-warm-origin-" + ++connection);
            worker.setDaemon(true);
            open.put(socket, worker);
            worker.start();
        }
    }

    private void serve(final Socket socket) {
        final byte[] in = new byte[REQUEST_HEAD_BYTES];
        final byte[] headOut = new byte[ANSWER_HEAD_BYTES];
        try (socket) {
            socket.setTcpNoDelay(true);
            final InputStream input = socket.getInputStream();
            final OutputStream output = socket.getOutputStream();
            int limit = 0;
            int answers = 0;
            while (!closed) {
                int headEnd = HeadBytes.headEnd(in, 0, limit);
                while (headEnd < 0) {
                    if (limit == in.length) {
                        return;
                    }
                    final int n = input.read(in, limit, in.length - limit);
                    if (n < 0) {
                        return;
                    }
                    limit += n;
                    headEnd = HeadBytes.headEnd(in, 0, limit);
                }
                final boolean head = HeadBytes.startsWith(in, 0, "HEAD ");
                final boolean close = HeadBytes.hasToken(in, 0, headEnd, "connection:", "close")
                    || ++answers == ANSWERS_PER_CONNECTION;
                final int pathStart = HeadBytes.indexOf(in, 0, headEnd, (byte) ' ') + 1;
                final int pathEnd = HeadBytes.indexOf(in, pathStart, headEnd, (byte) ' ');
                final int kind = kind(in, pathStart);
                final int bytes = kind == BYTES || kind == CHUNKED ? (int) Math.min(body.length,
                    HeadBytes.parseLong(in, pathStart + prefix(kind).length(), pathEnd)) : 0;
                // Drop the body: from the buffer when it is all there, else what is there and the rest as it comes.
                long bodyLeft = Math.max(0, HeadBytes.longHeader(in, 0, headEnd, "content-length:"));
                int consumed = headEnd;
                if (bodyLeft <= limit - headEnd) {
                    consumed += (int) bodyLeft;
                } else {
                    bodyLeft -= limit - headEnd;
                    while (bodyLeft > 0) {
                        final int n = input.read(in, 0, (int) Math.min(in.length, bodyLeft));
                        if (n < 0) {
                            return;
                        }
                        bodyLeft -= n;
                    }
                    consumed = 0;
                    limit = 0;
                }
                // A closing answer carries no keep-alive field of its own.
                final int set = served.getAndIncrement() % HEADER_SETS.length;
                answer(output, body, headOut, close ? NO_FIELDS : HEADER_SETS[set], kind, bytes, head, close);
                System.arraycopy(in, consumed, in, 0, limit - consumed);
                limit -= consumed;
                if (close) {
                    return;
                }
            }
        } catch (final IOException | RuntimeException | OutOfMemoryError ex) {
            // The warm-up pipeline closed or reset the connection, or direct memory for the JDK's temporary buffer
            // ran short: the client side counts what went wrong.
        } finally {
            open.remove(socket);
        }
    }

    private static int kind(final byte[] in, final int pathStart) {
        for (int kind = BYTES; kind <= NOT_FOUND; kind++) {
            if (HeadBytes.startsWith(in, pathStart, prefix(kind))) {
                return kind;
            }
        }
        return OK;
    }

    private static String prefix(final int kind) {
        switch (kind) {
            case BYTES:
                return "/warm/bytes/";
            case CHUNKED:
                return "/warm/chunked/";
            case NOT_FOUND:
                return "/warm/status/404";
            default:
                return "/";
        }
    }

    /**
     * Write one answer. The head is built in the connection's own {@code head} array from constant bytes: the
     * warm-up's garbage stays in the heap under Epsilon, so it makes none per answer.
     */
    private static void answer(final OutputStream out, final byte[] body, final byte[] head, final byte[] headers,
        final int kind, final int bytes, final boolean isHead, final boolean close) throws IOException {
        int n = put(head, 0, kind == NOT_FOUND ? STATUS_404 : STATUS_200);
        n = put(head, n, headers);
        if (close) {
            n = put(head, n, CONNECTION_CLOSE);
        }
        if (kind == CHUNKED) {
            n = put(head, n, CHUNKED_FIELD);
        } else {
            n = put(head, n, CONTENT_LENGTH);
            n = putNumber(head, n, kind == BYTES ? bytes : kind == NOT_FOUND ? NOT_FOUND_BODY.length : OK_BODY.length,
                10);
            n = put(head, n, CRLF);
        }
        n = put(head, n, CRLF);
        out.write(head, 0, n);
        if (!isHead) {
            if (kind == BYTES) {
                // In slices: the JDK writes a heap array through a temporary direct buffer as large as the write.
                for (int at = 0; at < bytes; at += WRITE_BYTES) {
                    out.write(body, at, Math.min(WRITE_BYTES, bytes - at));
                }
            } else if (kind == CHUNKED) {
                for (int left = bytes; left > 0; left -= CHUNK_BYTES) {
                    final int chunk = Math.min(CHUNK_BYTES, left);
                    out.write(head, 0, put(head, putNumber(head, 0, chunk, 16), CRLF));
                    out.write(body, 0, chunk);
                    out.write(CRLF);
                }
                out.write(LAST_CHUNK);
            } else {
                out.write(kind == NOT_FOUND ? NOT_FOUND_BODY : OK_BODY);
            }
        }
        out.flush();
    }

    private static int put(final byte[] to, final int at, final byte[] bytes) {
        System.arraycopy(bytes, 0, to, at, bytes.length);
        return at + bytes.length;
    }

    /** @return {@code at} past the number written in the radix (10 or 16), without a sign. */
    private static int putNumber(final byte[] to, final int at, final int value, final int radix) {
        int digits = 1;
        for (int v = value / radix; v > 0; v /= radix) {
            digits++;
        }
        int v = value;
        for (int i = at + digits - 1; i >= at; i--) {
            to[i] = (byte) Character.forDigit(v % radix, radix);
            v /= radix;
        }
        return at + digits;
    }

    /** Stop accepting, close every connection, and wait (a second at most each) for the threads to end. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (final Socket socket : open.keySet()) {
            closeQuietly(socket);
        }
        try {
            acceptor.join(JOIN_MS);
            for (final Thread worker : open.values()) {
                worker.join(JOIN_MS);
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(final AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (final Exception ignored) {
            // Closing anyway.
        }
    }
}
