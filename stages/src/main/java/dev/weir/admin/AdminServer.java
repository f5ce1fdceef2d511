package dev.weir.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

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
 * other methods 405.
 * <p>
 * Served by the JDK's {@code com.sun.net.httpserver} with one handler thread ({@value #THREAD_NAME}-N) per
 * admin connection it admits, off every stage thread; each scrape builds its snapshot there. One peer cannot hold
 * the listener: the handler reads a request blocking, so a half-sent request holds only its own connection's
 * thread; at most {@value #DEFAULT_MAX_CONNECTIONS} connections are open (the excess is closed on accept), an idle
 * one is closed after {@value #DEFAULT_IDLE_TIMEOUT_S} s, a request must arrive within
 * {@value #DEFAULT_REQUEST_TIMEOUT_S} s and a response leave within {@value #DEFAULT_RESPONSE_TIMEOUT_S} s.
 * <p>
 * <b>Note:</b> {@link #start} and {@link #close()} from the control thread; handlers run on the admin threads.
 */
public final class AdminServer implements AutoCloseable {

    /** The handler threads' name, before their number. */
    public static final String THREAD_NAME = "weir-admin";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** Pending admin connections the kernel queues: scrapers and probes are few. */
    static final int DEFAULT_BACKLOG = 16;
    /**
     * Admin connections open at once; the JDK server accepts and at once closes any beyond, so a peer cannot
     * spend the process's file descriptors, which the plan counts for the proxy. Each has its handler thread.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = StageSizes.ADMIN_CONNECTIONS;
    /** An idle handler thread ends after this; the next request starts one again (the plan counts them all). */
    private static final long HANDLER_IDLE_S = 30;
    /**
     * A connection idle this long between requests is closed: the JDK server looks every 10 s
     * ({@code sun.net.httpserver.clockTick}, left at its default: each look allocates), so within 20 s. One that
     * never sends a request is closed after the shorter of this and the request deadline, so within 15 s.
     */
    public static final int DEFAULT_IDLE_TIMEOUT_S = 10;
    /**
     * Longest a request may take to arrive whole: a handler thread reads it, blocking, so a peer that sends half a
     * request would otherwise hold that thread, and the connection's place, for ever.
     */
    public static final int DEFAULT_REQUEST_TIMEOUT_S = 5;
    /** Longest a response may take to be written: a peer that does not read would hold the handler thread. */
    public static final int DEFAULT_RESPONSE_TIMEOUT_S = 10;
    /**
     * How often the JDK server looks for requests and responses past their deadline. Each look allocates (about
     * 190 B a second at its default, 1 s, measured): 5 s keeps the admin threads' garbage with time small, and
     * closes a late request within 10 s, a late response within 15 s.
     */
    static final int DEFAULT_DEADLINE_CHECK_MS = 5000;

    private final HttpServer server;
    private final ExecutorService executor;
    private boolean closed;

    private AdminServer(final HttpServer server, final ExecutorService executor) {
        this.server = server;
        this.executor = executor;
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
        bound();
        final HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), DEFAULT_BACKLOG);
        } catch (final IOException ex) {
            throw new UncheckedIOException("cannot bind admin.listen " + host + ":" + port + ": " + ex.getMessage(),
                ex);
        }
        final MetricsCollector metrics = new MetricsCollector(pipeline, plan);
        final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        final byte[] planJson = (PlanJson.of(plan) + "\n").getBytes(StandardCharsets.UTF_8);
        server.createContext("/metrics", get(exchange -> {
            final ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
            writer.write(body, metrics.collect());
            send(exchange, 200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray());
        }));
        server.createContext("/health", get(exchange -> {
            final boolean draining = pipeline.isDraining();
            send(exchange, draining ? 503 : 200, TEXT,
                (draining ? "draining\n" : "ready\n").getBytes(StandardCharsets.US_ASCII));
        }));
        server.createContext("/plan", get(exchange -> send(exchange, 200, "application/json", planJson)));
        server.createContext("/access-log/reopen", only("POST", exchange -> {
            final AccessLog log = pipeline.accessLog();
            if (log == null || ConfigKeys.ACCESS_LOG_STDOUT.equals(pipeline.config().accessLogPath())) {
                send(exchange, 404, TEXT, "the access log is off or written to standard output\n"
                    .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            log.requestReopen();
            send(exchange, 202, TEXT, "reopening\n".getBytes(StandardCharsets.US_ASCII));
        }));
        server.createContext("/", exchange -> send(exchange, 404, TEXT,
            "not found: /metrics, /health, /plan\n".getBytes(StandardCharsets.US_ASCII)));
        // An exchange per admitted connection at most, so the queue never holds more than the threads could take.
        final AtomicInteger handlers = new AtomicInteger();
        final ThreadPoolExecutor executor = new ThreadPoolExecutor(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS,
            HANDLER_IDLE_S, TimeUnit.SECONDS, new ArrayBlockingQueue<>(DEFAULT_MAX_CONNECTIONS), task -> {
                final Thread thread = new Thread(task, THREAD_NAME + "-" + handlers.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        server.start();
        return new AdminServer(server, executor);
    }

    /**
     * Bound the JDK server's connections and waits. It reads these system properties once, when its first server is
     * created, so they are set before; a value given with {@code -D} is replaced (JDK 17.0.x names).
     */
    private static void bound() {
        System.setProperty("jdk.httpserver.maxConnections", Integer.toString(DEFAULT_MAX_CONNECTIONS));
        System.setProperty("sun.net.httpserver.idleInterval", Integer.toString(DEFAULT_IDLE_TIMEOUT_S));
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(DEFAULT_REQUEST_TIMEOUT_S));
        System.setProperty("sun.net.httpserver.maxRspTime", Integer.toString(DEFAULT_RESPONSE_TIMEOUT_S));
        System.setProperty("sun.net.httpserver.timerMillis", Integer.toString(DEFAULT_DEADLINE_CHECK_MS));
    }

    /** @return the bound address (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stop answering at once and end the admin threads; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }

    /** Answer GET and HEAD with the handler, other methods with 405; exactly the path, else 404. */
    private static HttpHandler get(final HttpHandler handler) {
        return only("GET", handler);
    }

    /**
     * Answer one method (GET also HEAD) with the handler, others with 405; exactly the path, else 404.
     */
    private static HttpHandler only(final String allowed, final HttpHandler handler) {
        final boolean get = "GET".equals(allowed);
        return exchange -> {
            final String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals(exchange.getHttpContext().getPath())) {
                send(exchange, 404, TEXT, "not found\n".getBytes(StandardCharsets.US_ASCII));
            } else if (!allowed.equals(method) && !(get && "HEAD".equals(method))) {
                exchange.getResponseHeaders().set("Allow", get ? "GET, HEAD" : allowed);
                send(exchange, 405, TEXT, "method not allowed\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                handler.handle(exchange);
            }
        };
    }

    private static void send(final HttpExchange exchange, final int status, final String contentType,
        final byte[] body) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            if ("HEAD".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
