package dev.weir.bench.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.weir.bench.http.BodyPattern;

/**
 * A raw-socket origin on 127.0.0.1 whose answer to each request is scripted: it can answer normally, never
 * answer, answer early without reading the upload, send part of a response and then reset or stall, or reset
 * without answering. It counts connections, requests and request-body bytes per method and path, so a test can
 * tell what the proxy forwarded and how often.
 * <p>
 * A {@link Script} picks the {@link Reply} for each request from the parsed head, the request's number over the
 * whole origin and its number on its connection. With {@link #acceptOnly()} the origin accepts connections and
 * never reads from them at all.
 * <p>
 * <b>Note:</b> one thread per connection; every counter is thread-safe. {@link #close()} closes the listener
 * and every connection; held connections end then.
 */
public final class ScriptedOrigin implements AutoCloseable {

    private static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final int BUFFER_BYTES = 64 * 1024;

    private final ServerSocket server;
    private final Script script;
    private final boolean readRequests;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final Map<String, AtomicInteger> requestsByRoute = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> bodyBytesByRoute = new ConcurrentHashMap<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<ByteArrayOutputStream> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();

    private ScriptedOrigin(final ServerSocket server, final Script script, final boolean readRequests) {
        this.server = server;
        this.script = script;
        this.readRequests = readRequests;
        final Thread acceptor = new Thread(this::acceptLoop, "scripted-origin-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts an origin that answers every request with the given script.
     *
     * @param script picks each request's reply.
     * @return the listening origin.
     * @throws IOException when it cannot bind.
     */
    public static ScriptedOrigin start(final Script script) throws IOException {
        return new ScriptedOrigin(bind(), script, true);
    }

    /**
     * Starts an origin that answers every request the same way.
     *
     * @param reply the reply to every request.
     * @return the listening origin.
     * @throws IOException when it cannot bind.
     */
    public static ScriptedOrigin always(final Reply reply) throws IOException {
        return start((request, index, onConnection) -> reply);
    }

    /**
     * Starts an origin that accepts every connection and never reads a byte from it.
     *
     * @return the listening origin.
     * @throws IOException when it cannot bind.
     */
    public static ScriptedOrigin acceptOnly() throws IOException {
        return new ScriptedOrigin(bind(), (request, index, onConnection) -> Reply.silent(), false);
    }

    private static ServerSocket bind() throws IOException {
        final ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        return server;
    }

    /** @return the port on 127.0.0.1. */
    public int port() {
        return server.getLocalPort();
    }

    /** @return connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** @return connections accepted and not yet closed by either side. */
    public int openConnections() {
        return open.get();
    }

    /** @return request heads read so far, over every connection. */
    public int requests() {
        return requests.get();
    }

    /**
     * @param method a method, e.g. {@code POST}.
     * @param path a request target, e.g. {@code /upload}.
     * @return request heads read with that method and target.
     */
    public int requests(final String method, final String path) {
        final AtomicInteger n = requestsByRoute.get(method + " " + path);
        return n == null ? 0 : n.get();
    }

    /**
     * @param method a method.
     * @param path a request target.
     * @return request-body bytes read for that method and target (decoded, for chunked bodies), including bytes
     *         read and discarded after an early answer.
     */
    public long bodyBytes(final String method, final String path) {
        final AtomicLong n = bodyBytesByRoute.get(method + " " + path);
        return n == null ? 0 : n.get();
    }

    /**
     * @param connection the connection's number in the order they were served, from 0.
     * @return every byte the origin has read from that connection so far, as ISO-8859-1 text: the exact bytes
     *         the proxy sent, head and body.
     */
    public String received(final int connection) {
        final ByteArrayOutputStream bytes = received.get(connection);
        synchronized (bytes) {
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** @return connections whose bytes {@link #received(int)} holds. */
    public int receivedConnections() {
        return received.size();
    }

    private InputStream recording(final InputStream raw) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        received.add(bytes);
        return new java.io.FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                final int b = super.read();
                if (b >= 0) {
                    synchronized (bytes) {
                        bytes.write(b);
                    }
                }
                return b;
            }

            @Override
            public int read(final byte[] buffer, final int offset, final int length) throws IOException {
                final int n = super.read(buffer, offset, length);
                if (n > 0) {
                    synchronized (bytes) {
                        bytes.write(buffer, offset, n);
                    }
                }
                return n;
            }
        };
    }

    /** @return connections this origin ended with a reset. */
    public int resets() {
        return resets.get();
    }

    /**
     * Waits until a condition on this origin holds.
     *
     * @param what says what is awaited, for the failure message.
     * @param condition the condition.
     * @param timeoutMs the deadline in milliseconds.
     * @throws InterruptedException when interrupted.
     * @throws AssertionError when the deadline passes first.
     */
    public static void await(final String what, final java.util.function.BooleanSupplier condition,
        final long timeoutMs) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(2);
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            final Socket socket;
            try {
                socket = server.accept();
            } catch (final IOException e) {
                return;
            }
            connections.incrementAndGet();
            open.incrementAndGet();
            sockets.add(socket);
            final Thread worker = new Thread(() -> serve(socket), "scripted-origin-conn-" + socket.getPort());
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void serve(final Socket socket) {
        try {
            socket.setTcpNoDelay(true);
            if (!readRequests) {
                holdUntilClosed();
                return;
            }
            final InputStream in = new BufferedInputStream(recording(socket.getInputStream()), BUFFER_BYTES);
            final OutputStream out = socket.getOutputStream();
            for (int onConnection = 0; ; onConnection++) {
                final Request request = Request.read(in);
                if (request == null) {
                    return;
                }
                final int index = requests.getAndIncrement();
                requestsByRoute.computeIfAbsent(request.route(), k -> new AtomicInteger()).incrementAndGet();
                final Reply reply = script.replyTo(request, index, onConnection);
                if (!reply.perform(this, socket, in, out, request)) {
                    return;
                }
            }
        } catch (final IOException e) {
            // The peer went away or the origin closed: the connection ends.
        } finally {
            open.decrementAndGet();
            closeQuietly(socket);
            sockets.remove(socket);
        }
    }

    private void holdUntilClosed() {
        final CountDownLatch never = new CountDownLatch(1);
        try {
            while (!server.isClosed()) {
                never.await(20, TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void countBody(final Request request, final long n) {
        bodyBytesByRoute.computeIfAbsent(request.route(), k -> new AtomicLong()).addAndGet(n);
    }

    /** Reads and counts the rest of the request body; returns false when the peer closed first. */
    private boolean readBody(final InputStream in, final Request request, final long limit) throws IOException {
        final byte[] buffer = new byte[BUFFER_BYTES];
        if (request.chunked) {
            return readChunked(in, request, buffer);
        }
        long remaining = Math.min(request.contentLength, limit);
        while (remaining > 0) {
            final int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (n < 0) {
                return false;
            }
            countBody(request, n);
            remaining -= n;
        }
        return true;
    }

    private boolean readChunked(final InputStream in, final Request request, final byte[] buffer)
        throws IOException {
        while (true) {
            final String line = Request.readLine(in);
            if (line == null) {
                return false;
            }
            final int semicolon = line.indexOf(';');
            final long size = Long.parseLong((semicolon < 0 ? line : line.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                for (String trailer = Request.readLine(in); trailer != null && !trailer.isEmpty();
                    trailer = Request.readLine(in)) {
                    // Trailers are counted nowhere.
                }
                return true;
            }
            long remaining = size;
            while (remaining > 0) {
                final int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    return false;
                }
                countBody(request, n);
                remaining -= n;
            }
            if (Request.readLine(in) == null) {
                return false;
            }
        }
    }

    /** Reads and discards until the peer closes, counting the bytes as body bytes of the request. */
    private void drain(final InputStream in, final Request request) throws IOException {
        final byte[] buffer = new byte[BUFFER_BYTES];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            countBody(request, n);
        }
    }

    private void reset(final Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (final SocketException e) {
            // Already closed: nothing to reset.
        }
        resets.incrementAndGet();
        closeQuietly(socket);
    }

    private static void writePattern(final OutputStream out, final long length) throws IOException {
        final byte[] buffer = new byte[BUFFER_BYTES];
        long offset = 0;
        while (offset < length) {
            final int n = (int) Math.min(buffer.length, length - offset);
            BodyPattern.copy(offset, buffer, 0, n);
            out.write(buffer, 0, n);
            offset += n;
        }
        out.flush();
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

    /** Picks the reply to one request. */
    @FunctionalInterface
    public interface Script {
        /**
         * @param request the request head as read.
         * @param index the request's number over the whole origin, from 0.
         * @param onConnection the request's number on its connection, from 0.
         * @return the reply.
         */
        Reply replyTo(Request request, int index, int onConnection);
    }

    /** One request head as the origin read it. */
    public static final class Request {
        /** The method, e.g. {@code GET}. */
        public final String method;
        /** The request target, e.g. {@code /}. */
        public final String path;
        /** Header fields, names in lower case (the last value of a repeated name). */
        public final Map<String, String> headers;
        final long contentLength;
        final boolean chunked;

        private Request(final String method, final String path, final Map<String, String> headers) {
            this.method = method;
            this.path = path;
            this.headers = headers;
            this.contentLength = Long.parseLong(headers.getOrDefault("content-length", "0"));
            this.chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        }

        String route() {
            return method + " " + path;
        }

        static Request read(final InputStream in) throws IOException {
            String line = readLine(in);
            while (line != null && line.isEmpty()) {
                line = readLine(in);
            }
            if (line == null) {
                return null;
            }
            final String[] parts = line.split(" ");
            if (parts.length != 3) {
                throw new IOException("not a request line: " + line);
            }
            final Map<String, String> headers = new ConcurrentHashMap<>();
            for (String field = readLine(in); ; field = readLine(in)) {
                if (field == null) {
                    return null;
                }
                if (field.isEmpty()) {
                    return new Request(parts[0], parts[1], headers);
                }
                final int colon = field.indexOf(':');
                headers.put(field.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    field.substring(colon + 1).trim());
            }
        }

        /** @return one line without its CRLF, or null at end of stream. */
        static String readLine(final InputStream in) throws IOException {
            final ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    return null;
                }
                if (c != '\r') {
                    b.write(c);
                }
                if (b.size() > MAX_HEAD_BYTES) {
                    throw new IOException("line too long");
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** What the origin does with one request: build one with the static factories. */
    public abstract static class Reply {

        /**
         * Performs the reply.
         *
         * @return whether the connection goes on to the next request.
         */
        abstract boolean perform(ScriptedOrigin origin, Socket socket, InputStream in, OutputStream out,
            Request request) throws IOException;

        /**
         * Reads the whole request, then answers 200 with {@code length} bytes of the pattern and keeps the
         * connection.
         *
         * @param length body bytes.
         * @return the reply.
         */
        public static Reply ok(final long length) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (!origin.readBody(in, request, Long.MAX_VALUE)) {
                        return false;
                    }
                    return answerOk(out, length);
                }
            };
        }

        /**
         * Reads the whole request, waits until {@code release} opens, then answers 200 with {@code length} bytes
         * of the pattern and keeps the connection: an exchange held in flight for as long as the test wants.
         *
         * @param release opened by the test when the answer may go.
         * @param length  body bytes.
         * @return the reply.
         */
        public static Reply okWhen(final CountDownLatch release, final long length) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (!origin.readBody(in, request, Long.MAX_VALUE)) {
                        return false;
                    }
                    try {
                        release.await();
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                    return answerOk(out, length);
                }
            };
        }

        /**
         * Reads the whole request, then writes {@code response} exactly as given (head and body, however
         * malformed), then keeps the connection or closes it.
         *
         * @param response the bytes, as ISO-8859-1 text.
         * @param keep     go on to the next request on the connection, else close it.
         * @return the reply.
         */
        public static Reply raw(final String response, final boolean keep) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (!origin.readBody(in, request, Long.MAX_VALUE)) {
                        return false;
                    }
                    out.write(response.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    return keep;
                }
            };
        }

        /**
         * Reads the whole request, then writes {@code pieces} one at a time, each flushed on its own and followed by
         * a pause, so the proxy reads each as a separate segment; then keeps the connection.
         *
         * @param pauseMs the pause after each piece.
         * @param pieces  the response in pieces, as ISO-8859-1 text.
         * @return the reply.
         */
        public static Reply rawInPieces(final long pauseMs, final String... pieces) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (!origin.readBody(in, request, Long.MAX_VALUE)) {
                        return false;
                    }
                    socket.setTcpNoDelay(true);
                    for (final String piece : pieces) {
                        out.write(piece.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        try {
                            Thread.sleep(pauseMs);
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return false;
                        }
                    }
                    return true;
                }
            };
        }

        /**
         * Reads the whole request and never answers; the connection stays open until the peer or the origin
         * closes it.
         *
         * @return the reply.
         */
        public static Reply silent() {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (origin.readBody(in, request, Long.MAX_VALUE)) {
                        origin.drain(in, request);
                    }
                    return false;
                }
            };
        }

        /**
         * Reads {@code bodyBytes} of the request body (or all of it, if shorter), then stops reading and never
         * answers; the connection stays open until the origin closes.
         *
         * @param bodyBytes body bytes to read first.
         * @return the reply.
         */
        public static Reply stallReadingAfter(final long bodyBytes) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    origin.readBody(in, request, bodyBytes);
                    origin.holdUntilClosed();
                    return false;
                }
            };
        }

        /**
         * Answers at once with {@code status}, {@code Connection: close} and a short body, without reading the
         * request body. Then either closes the connection or keeps it open without reading another byte until the
         * peer or the origin closes it.
         *
         * @param status the status code, e.g. 413.
         * @param close whether to close the connection right after the answer.
         * @return the reply.
         */
        public static Reply early(final int status, final boolean close) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    final String body = "early " + status + "\n";
                    out.write(("HTTP/1.1 " + status + " Early\r\nContent-Length: " + body.length()
                        + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (close) {
                        // A plain close with unread bytes queued makes the kernel send a reset; shut the output
                        // down first so the answer is delivered ahead of it.
                        socket.shutdownOutput();
                        return false;
                    }
                    origin.holdUntilClosed();
                    return false;
                }
            };
        }

        /**
         * Answers at once with {@code status} and {@code Connection: close} without waiting for the request body,
         * then reads and counts whatever else arrives until the peer closes: {@link #bodyBytes} then tells how much
         * of the upload the proxy forwarded after the answer.
         *
         * @param status the status code, e.g. 413.
         * @return the reply.
         */
        public static Reply earlyThenDrain(final int status) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    final String body = "early " + status + "\n";
                    out.write(("HTTP/1.1 " + status + " Early\r\nContent-Length: " + body.length()
                        + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    origin.drain(in, request);
                    return false;
                }
            };
        }

        /**
         * Reads the whole request, then sends a complete close-delimited response ({@code Connection: close}, no
         * Content-Length) of {@code length} pattern bytes and closes cleanly: the honest counterpart of
         * {@link #partialThenReset(long, long)} with -1.
         *
         * @param length body bytes.
         * @return the reply.
         */
        public static Reply closeDelimited(final long length) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (!origin.readBody(in, request, Long.MAX_VALUE)) {
                        return false;
                    }
                    writePartialHead(out, -1);
                    writePattern(out, length);
                    socket.shutdownOutput();
                    origin.drain(in, request);
                    return false;
                }
            };
        }

        /**
         * Reads the whole request, sends a 200 head and {@code sentBytes} of the body, then resets the connection
         * (SO_LINGER 0). With a Content-Length the head promises {@code declaredBytes}; without one the response
         * is close-delimited ({@code Connection: close}) and the reset is the only sign it was cut.
         *
         * @param declaredBytes the Content-Length, or -1 for a close-delimited response.
         * @param sentBytes body bytes sent before the reset.
         * @return the reply.
         */
        public static Reply partialThenReset(final long declaredBytes, final long sentBytes) {
            return partial(declaredBytes, sentBytes, true);
        }

        /**
         * Reads the whole request, sends a 200 head and {@code sentBytes} of the body, then sends nothing more and
         * keeps the connection open until the peer or the origin closes it.
         *
         * @param declaredBytes the Content-Length, or -1 for a close-delimited response.
         * @param sentBytes body bytes sent before the stall.
         * @return the reply.
         */
        public static Reply partialThenStall(final long declaredBytes, final long sentBytes) {
            return partial(declaredBytes, sentBytes, false);
        }

        private static Reply partial(final long declaredBytes, final long sentBytes, final boolean reset) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    if (!origin.readBody(in, request, Long.MAX_VALUE)) {
                        return false;
                    }
                    writePartialHead(out, declaredBytes);
                    writePattern(out, sentBytes);
                    if (reset) {
                        origin.reset(socket);
                    } else {
                        origin.drain(in, request);
                    }
                    return false;
                }
            };
        }

        /**
         * Reads the whole request, then resets the connection without answering.
         *
         * @return the reply.
         */
        public static Reply resetWithoutAnswer() {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    origin.readBody(in, request, Long.MAX_VALUE);
                    origin.reset(socket);
                    return false;
                }
            };
        }

        /**
         * Answers at once with a 200 head and {@code sentBytes} of a body (close-delimited when
         * {@code declaredBytes} is -1), then reads {@code readBytes} of the request body while the client still
         * uploads, then resets the connection: an origin failing mid-response in the middle of a full-duplex
         * exchange.
         *
         * @param declaredBytes the Content-Length, or -1 for a close-delimited response.
         * @param sentBytes     body bytes sent before reading.
         * @param readBytes     request-body bytes read before the reset.
         * @return the reply.
         */
        public static Reply answerWhileReadingThenReset(final long declaredBytes, final long sentBytes,
            final long readBytes) {
            return new Reply() {
                @Override
                boolean perform(final ScriptedOrigin origin, final Socket socket, final InputStream in,
                    final OutputStream out, final Request request) throws IOException {
                    writePartialHead(out, declaredBytes);
                    writePattern(out, sentBytes);
                    out.flush();
                    origin.readBody(in, request, readBytes);
                    origin.reset(socket);
                    return false;
                }
            };
        }

        /** Writes 200 with {@code length} bytes of the pattern; the connection goes on. */
        private static boolean answerOk(final OutputStream out, final long length) throws IOException {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
            writePattern(out, length);
            return true;
        }

        private static void writePartialHead(final OutputStream out, final long declaredBytes) throws IOException {
            final String framing = declaredBytes >= 0 ? "Content-Length: " + declaredBytes + "\r\n"
                : "Connection: close\r\n";
            out.write(("HTTP/1.1 200 OK\r\n" + framing + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
    }
}
