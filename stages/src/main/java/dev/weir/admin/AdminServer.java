package dev.weir.admin;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.config.ConfigKeys;
import dev.weir.config.StageSizes;
import dev.weir.log.AccessLog;
import dev.weir.stage.Pipeline;

/**
 * The admin listener on {@code admin.listen}: {@code GET /metrics} (Prometheus text format 0.0.4),
 * {@code GET /health} (200 {@code ready} while serving, 503 {@code draining} once the drain began) and
 * {@code GET /plan} (the memory plan as JSON); {@code POST /access-log/reopen} asks the access log to open its
 * file again after a rotation (202; 404 when the log is off or goes to standard output). Other paths are 404,
 * other methods 405. One request per connection, answered with {@code Connection: close}.
 * <p>
 * A small blocking HTTP/1.1 server of its own, off every stage thread: an accept thread ({@value #THREAD_NAME}
 * {@code -accept}) seats each connection in one of {@value #DEFAULT_MAX_CONNECTIONS} seats, served by a handler
 * thread ({@value #THREAD_NAME}-N) each; a watchdog ({@value #THREAD_NAME}{@code -deadlines}) closes a connection
 * past its deadline. Idle, none of them allocates. One peer cannot keep another out:
 * <ul>
 * <li>a peer (a remote address) holds at most {@value #MAX_SEATS_PER_PEER} seats;</li>
 * <li>with every seat taken, a new connection takes the seat of the longest-seated one that has not sent a whole
 * request within {@value #GRACE_MS} ms, from the peer that holds the most seats; a new connection finding none
 * (every seat busy answering, or seated less than that) is closed on accept;</li>
 * <li>a request must arrive whole within {@value #DEFAULT_REQUEST_TIMEOUT_S} s and its response leave within
 * {@value #DEFAULT_RESPONSE_TIMEOUT_S} s, else the connection is closed.</li>
 * </ul>
 * So a probe from the kubelet is answered while another peer keeps connections open, half-sent or silent.
 * <p>
 * <b>Note:</b> {@link #start} and {@link #close()} from the control thread; handlers run on the admin threads.
 */
public final class AdminServer implements AutoCloseable {

    /** The handler threads' name, before their number. */
    public static final String THREAD_NAME = "weir-admin";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** Pending admin connections the kernel queues: scrapers and probes are few. */
    static final int DEFAULT_BACKLOG = 16;
    /** Admin connections open at once, each with its handler thread; the plan counts their descriptors. */
    public static final int DEFAULT_MAX_CONNECTIONS = StageSizes.ADMIN_CONNECTIONS;
    /** Seats one peer may hold: the rest stay for the others (a prober, a scraper). */
    public static final int MAX_SEATS_PER_PEER = DEFAULT_MAX_CONNECTIONS / 2;
    /** A seated connection that has not sent a whole request after this may lose its seat to a new one. */
    public static final long GRACE_MS = 1_000;
    /** Longest a request may take to arrive whole. */
    public static final int DEFAULT_REQUEST_TIMEOUT_S = 5;
    /** Longest a response may take to be written: a peer that does not read would hold the handler thread. */
    public static final int DEFAULT_RESPONSE_TIMEOUT_S = 10;
    /** Longest request head (request line and fields) read. */
    private static final int MAX_HEAD_BYTES = 8 * 1024;
    /** Longest request body read (and dropped). */
    private static final int MAX_BODY_BYTES = 64 * 1024;

    private final ServerSocket server;
    private final Seat[] seats = new Seat[DEFAULT_MAX_CONNECTIONS];
    private final ThreadPoolExecutor handlers;
    private final Thread acceptor;
    private final Thread watchdog;
    private final Routes routes;
    private volatile boolean closed;

    /** One seat: the connection seated there, its peer, and the deadline of what it waits for. */
    private static final class Seat {
        Socket socket;
        InetAddress peer;
        long seatedNs;
        /** Whether the whole request has arrived; before, the seat may be taken by a new connection after grace. */
        boolean requestRead;
        long deadlineNs;
        /** Bumped at every seating, so a handler ending late frees only its own seating. */
        long generation;
    }

    /** The endpoints' answers. */
    private static final class Routes {
        private final Pipeline pipeline;
        private final MetricsCollector metrics;
        private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        private final byte[] planJson;

        Routes(final Pipeline pipeline, final MemoryPlan plan) {
            this.pipeline = pipeline;
            this.metrics = new MetricsCollector(pipeline, plan);
            this.planJson = (PlanJson.of(plan) + "\n").getBytes(StandardCharsets.UTF_8);
        }

        Answer answer(final String method, final String path) throws IOException {
            switch (path) {
                case "/metrics":
                    if (!isGet(method)) {
                        return Answer.notAllowed("GET, HEAD");
                    }
                    final ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
                    writer.write(body, metrics.collect());
                    return new Answer(200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray());
                case "/health":
                    if (!isGet(method)) {
                        return Answer.notAllowed("GET, HEAD");
                    }
                    final boolean draining = pipeline.isDraining();
                    return new Answer(draining ? 503 : 200, TEXT, ascii(draining ? "draining\n" : "ready\n"));
                case "/plan":
                    return isGet(method) ? new Answer(200, "application/json", planJson)
                        : Answer.notAllowed("GET, HEAD");
                case "/access-log/reopen":
                    if (!"POST".equals(method)) {
                        return Answer.notAllowed("POST");
                    }
                    final AccessLog log = pipeline.accessLog();
                    if (log == null || ConfigKeys.ACCESS_LOG_STDOUT.equals(pipeline.config().accessLogPath())) {
                        return new Answer(404, TEXT, ascii("the access log is off or written to standard output\n"));
                    }
                    log.requestReopen();
                    return new Answer(202, TEXT, ascii("reopening\n"));
                default:
                    return new Answer(404, TEXT, ascii("not found: /metrics, /health, /plan\n"));
            }
        }

        private static boolean isGet(final String method) {
            return "GET".equals(method) || "HEAD".equals(method);
        }
    }

    /** A response: status, content type, body, and the methods allowed for a 405. */
    private static final class Answer {
        final int status;
        final String contentType;
        final byte[] body;
        final String allow;

        Answer(final int status, final String contentType, final byte[] body) {
            this(status, contentType, body, null);
        }

        private Answer(final int status, final String contentType, final byte[] body, final String allow) {
            this.status = status;
            this.contentType = contentType;
            this.body = body;
            this.allow = allow;
        }

        static Answer notAllowed(final String allow) {
            return new Answer(405, TEXT, ascii("method not allowed\n"), allow);
        }
    }

    private AdminServer(final ServerSocket server, final Routes routes) {
        this.server = server;
        this.routes = routes;
        for (int i = 0; i < seats.length; i++) {
            seats[i] = new Seat();
        }
        final AtomicInteger numbers = new AtomicInteger();
        // A task per seating: at most one per seat runs, and a seat taken from a connection whose handler has not
        // ended yet queues its new task until it does (the handler ends once its socket is closed).
        handlers = new ThreadPoolExecutor(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(DEFAULT_MAX_CONNECTIONS), task -> {
                final Thread thread = new Thread(task, THREAD_NAME + "-" + numbers.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        handlers.allowCoreThreadTimeOut(true);
        acceptor = new Thread(this::acceptLoop, THREAD_NAME + "-accept");
        acceptor.setDaemon(true);
        watchdog = new Thread(this::watchLoop, THREAD_NAME + "-deadlines");
        watchdog.setDaemon(true);
    }

    /**
     * Bind and start answering.
     *
     * @param host     host or address to bind.
     * @param port     port, 0 for any free one.
     * @param pipeline the running pipeline, whose counters are read.
     * @param plan     its memory plan, for {@code /plan} and {@code weir_plan_bytes}.
     * @return the running listener.
     * @throws UncheckedIOException when the address cannot be bound.
     */
    public static AdminServer start(final String host, final int port, final Pipeline pipeline,
        final MemoryPlan plan) {
        final ServerSocket server;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(host, port), DEFAULT_BACKLOG);
        } catch (final IOException ex) {
            throw new UncheckedIOException("cannot bind admin.listen " + host + ":" + port + ": " + ex.getMessage(),
                ex);
        }
        final AdminServer admin = new AdminServer(server, new Routes(pipeline, plan));
        admin.acceptor.start();
        admin.watchdog.start();
        return admin;
    }

    /** @return the bound address (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** Stop answering at once and end the admin threads; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(server);
        synchronized (seats) {
            for (final Seat seat : seats) {
                closeQuietly(seat.socket);
                seat.socket = null;
            }
            seats.notifyAll();
        }
        handlers.shutdownNow();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
            watchdog.join(TimeUnit.SECONDS.toMillis(5));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            final Socket socket;
            try {
                socket = server.accept();
            } catch (final IOException ex) {
                if (closed) {
                    return;
                }
                // A failed accept (a descriptor limit, a reset in the backlog): the listener goes on, after a pause,
                // so a failure that lasts does not spin a core the stages need.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                continue;
            }
            seat(socket, System.nanoTime());
        }
    }

    /**
     * Close every connection past its deadline (a request not whole in time, a response not taken in time),
     * sleeping until the next one; with no connection it waits without end and allocates nothing.
     */
    private void watchLoop() {
        synchronized (seats) {
            while (!closed) {
                final long now = System.nanoTime();
                long nextNs = Long.MAX_VALUE;
                for (final Seat seat : seats) {
                    if (seat.socket == null) {
                        continue;
                    }
                    if (now - seat.deadlineNs >= 0) {
                        free(seat);
                    } else {
                        nextNs = Math.min(nextNs, seat.deadlineNs - now);
                    }
                }
                try {
                    if (nextNs == Long.MAX_VALUE) {
                        seats.wait();
                    } else {
                        seats.wait(TimeUnit.NANOSECONDS.toMillis(nextNs) + 1);
                    }
                } catch (final InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void seat(final Socket socket, final long now) {
        final InetAddress peer = socket.getInetAddress();
        final Seat seat;
        synchronized (seats) {
            seat = choose(peer, now);
            if (seat == null) {
                closeQuietly(socket);
                return;
            }
            if (seat.socket != null) {
                free(seat);
            }
            seat.socket = socket;
            seat.peer = peer;
            seat.seatedNs = now;
            seat.requestRead = false;
            seat.deadlineNs = now + TimeUnit.SECONDS.toNanos(DEFAULT_REQUEST_TIMEOUT_S);
            seat.generation++;
            seats.notifyAll();
        }
        final long generation = seat.generation;
        try {
            handlers.execute(() -> serve(seat, socket, generation));
        } catch (final RejectedExecutionException ex) {
            synchronized (seats) {
                if (seat.generation == generation) {
                    free(seat);
                }
            }
        }
    }

    /**
     * @return a free seat; else, when the peer holds fewer than {@link #MAX_SEATS_PER_PEER}, the seat of the
     *     longest-seated connection past its grace without a whole request, from the peer holding the most seats
     *     (the new connection's own peer when it is at its limit); {@code null} when there is none.
     */
    private Seat choose(final InetAddress peer, final long now) {
        final int own = seatsOf(peer);
        if (own < MAX_SEATS_PER_PEER) {
            for (final Seat seat : seats) {
                if (seat.socket == null) {
                    return seat;
                }
            }
        }
        Seat victim = null;
        int victimPeerSeats = 0;
        for (final Seat seat : seats) {
            if (seat.socket == null || seat.requestRead
                || now - seat.seatedNs < TimeUnit.MILLISECONDS.toNanos(GRACE_MS)) {
                continue;
            }
            final int held = seatsOf(seat.peer);
            if (own >= MAX_SEATS_PER_PEER && !seat.peer.equals(peer)) {
                continue;
            }
            if (victim == null || held > victimPeerSeats
                || held == victimPeerSeats && seat.seatedNs < victim.seatedNs) {
                victim = seat;
                victimPeerSeats = held;
            }
        }
        return victim;
    }

    private int seatsOf(final InetAddress peer) {
        int held = 0;
        for (final Seat seat : seats) {
            if (seat.socket != null && peer.equals(seat.peer)) {
                held++;
            }
        }
        return held;
    }

    /** Close the seat's connection and free it; its handler, blocked on the socket, ends. */
    private static void free(final Seat seat) {
        closeQuietly(seat.socket);
        seat.socket = null;
        seat.peer = null;
    }

    private void serve(final Seat seat, final Socket socket, final long generation) {
        try {
            // Buffered: the head is read a byte at a time, each a system call otherwise.
            final InputStream in = new BufferedInputStream(socket.getInputStream(), 1024);
            final String head = readHead(socket, in, seat);
            if (head == null) {
                return;
            }
            final int lineEnd = head.indexOf("\r\n");
            final String[] line = head.substring(0, lineEnd < 0 ? head.length() : lineEnd).split(" ", -1);
            final Answer answer;
            if (line.length != 3 || !line[2].startsWith("HTTP/1.")) {
                answer = new Answer(400, TEXT, ascii("bad request\n"));
            } else if (!readBody(socket, in, seat, head)) {
                answer = new Answer(413, TEXT, ascii("request body too large\n"));
            } else {
                answer = routes.answer(line[0], path(line[1]));
            }
            synchronized (seats) {
                if (seat.generation != generation) {
                    return;
                }
                seat.requestRead = true;
                seat.deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEFAULT_RESPONSE_TIMEOUT_S);
                seats.notifyAll();
            }
            write(socket.getOutputStream(), answer, "HEAD".equals(line[0]));
            socket.shutdownOutput();
        } catch (final IOException | RuntimeException ex) {
            // Closed by a deadline or a new connection, or the peer left: nothing more to say to it.
        } finally {
            synchronized (seats) {
                if (seat.generation == generation && seat.socket == socket) {
                    free(seat);
                } else {
                    closeQuietly(socket);
                }
            }
        }
    }

    /** @return the path of a request target: origin form, or absolute form without scheme and authority. */
    private static String path(final String target) {
        int start = 0;
        if (target.startsWith("http://") || target.startsWith("https://")) {
            final int slash = target.indexOf('/', target.indexOf("//") + 2);
            if (slash < 0) {
                return "/";
            }
            start = slash;
        }
        final int query = target.indexOf('?', start);
        return query < 0 ? target.substring(start) : target.substring(start, query);
    }

    /** @return the head up to and without its blank line, or {@code null} when it did not come whole in time. */
    private static String readHead(final Socket socket, final InputStream in, final Seat seat) throws IOException {
        final ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        int matched = 0;
        while (matched < 4) {
            final long leftMs = TimeUnit.NANOSECONDS.toMillis(seat.deadlineNs - System.nanoTime());
            if (leftMs <= 0 || head.size() >= MAX_HEAD_BYTES) {
                return null;
            }
            socket.setSoTimeout((int) leftMs);
            final int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Read and drop a body of the length the head gives. @return {@code false} when it is too long. */
    private static boolean readBody(final Socket socket, final InputStream in, final Seat seat, final String head)
        throws IOException {
        long length = 0;
        for (final String field : head.split("\r\n")) {
            final int colon = field.indexOf(':');
            if (colon > 0 && field.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                try {
                    length = Long.parseLong(field.substring(colon + 1).trim());
                } catch (final NumberFormatException ex) {
                    return false;
                }
            }
        }
        if (length < 0 || length > MAX_BODY_BYTES) {
            return false;
        }
        for (long left = length; left > 0; left--) {
            final long leftMs = TimeUnit.NANOSECONDS.toMillis(seat.deadlineNs - System.nanoTime());
            if (leftMs <= 0) {
                throw new SocketTimeoutException("request body");
            }
            socket.setSoTimeout((int) leftMs);
            if (in.read() < 0) {
                throw new IOException("end of stream in the request body");
            }
        }
        return true;
    }

    private static void write(final OutputStream out, final Answer answer, final boolean head) throws IOException {
        final StringBuilder fields = new StringBuilder(160).append("HTTP/1.1 ").append(answer.status).append(' ')
            .append(reason(answer.status)).append("\r\nContent-Type: ").append(answer.contentType)
            .append("\r\nContent-Length: ").append(answer.body.length).append("\r\nConnection: close\r\n");
        if (answer.allow != null) {
            fields.append("Allow: ").append(answer.allow).append("\r\n");
        }
        out.write(fields.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        if (!head) {
            out.write(answer.body);
        }
        out.flush();
    }

    private static String reason(final int status) {
        switch (status) {
            case 200:
                return "OK";
            case 202:
                return "Accepted";
            case 400:
                return "Bad Request";
            case 404:
                return "Not Found";
            case 405:
                return "Method Not Allowed";
            case 413:
                return "Content Too Large";
            case 503:
                return "Service Unavailable";
            default:
                return "Status";
        }
    }

    private static byte[] ascii(final String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void closeQuietly(final Closeable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (final IOException ignored) {
                // Closing is best effort: the descriptor is gone either way.
            }
        }
    }
}
