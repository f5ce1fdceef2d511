package dev.weir.bench.origin;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The bundled demo origin: a small, fast HTTP/1.1 server on {@code java.nio} for tests, demos and benchmarks.
 * <p>
 * Routes (methods GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH on every route; HEAD never has a body):
 * <pre>
 *   /                    200, {@link #ROOT_BODY}
 *   /bytes/N             200, N bytes of {@link dev.weir.bench.http.BodyPattern}, Content-Length
 *   /chunked/N           200, the same N bytes, Transfer-Encoding: chunked
 *   /echo                200, the request body streamed back (Content-Length in, Content-Length out;
 *                        chunked in, chunked out)
 *   /sha256, /crc32      200, "length=N sha256=HEX\n" or "length=N crc32=HEX8\n" of the request body
 *   /headers             200, the request head exactly as received
 *   /delay/MS            200 after MS milliseconds (at most 60 000), other connections unaffected
 *   /close-mid-body/N    200 claiming N bytes, sends N/2, then closes
 *   /garbage             {@link #GARBAGE}, then closes
 *   /close               closes without answering
 *   /ws                  WebSocket echo (RFC 6455): 101 to a valid GET handshake, then each client frame echoed
 *                        unmasked with the same opcode and payload (ping gets pong; close is echoed, then
 *                        closes); a bad handshake gets 400, a bad frame close 1002
 *   anything else        404; unknown method 501; malformed head 400; head over 16 KiB 431 (these close)
 * </pre>
 * Keep-alive by default (HTTP/1.0 only with {@code Connection: keep-alive}); pipelined requests are answered
 * in order. No allocation per request: buffers belong to pooled connections and bodies are generated into them.
 * <p>
 * <b>Note:</b> {@link #start} returns once the port is bound; {@link #close()} stops every thread and closes
 * every connection. Thread-safe to close from any thread.
 */
public final class DemoOrigin implements AutoCloseable {

    /** Default listen host. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default listen port. */
    public static final int DEFAULT_PORT = 9000;
    /** Default number of selector threads. */
    public static final int DEFAULT_THREADS = 1;
    /** The body of {@code GET /}. */
    public static final String ROOT_BODY = "hello from weir demo origin\n";
    /** What {@code /garbage} sends instead of an HTTP response. */
    public static final String GARBAGE = "THIS IS NOT HTTP\r\n\u0001\u0002 garbage from the weir demo origin\r\n\r\n";

    private final ServerSocketChannel server;
    private final OriginWorker[] workers;
    private final Thread[] threads;
    private final int port;

    private DemoOrigin(final ServerSocketChannel server, final OriginWorker[] workers, final Thread[] threads) {
        this.server = server;
        this.workers = workers;
        this.threads = threads;
        this.port = server.socket().getLocalPort();
    }

    /**
     * Binds and starts an origin.
     *
     * @param host    address to bind, e.g. {@code 127.0.0.1}.
     * @param port    port to bind; 0 picks a free one (see {@link #port()}).
     * @param threads selector threads, at least 1.
     * @return the running origin.
     * @throws IOException when the address cannot be bound.
     */
    public static DemoOrigin start(final String host, final int port, final int threads) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        final ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(new InetSocketAddress(host, port), 1024);
            server.configureBlocking(false);
            final OriginWorker[] workers = new OriginWorker[threads];
            for (int i = 0; i < threads; i++) {
                workers[i] = new OriginWorker(i == 0 ? server : null);
            }
            final Thread[] started = new Thread[threads];
            for (int i = 0; i < threads; i++) {
                workers[i].peers(workers);
                started[i] = new Thread(workers[i], "weir-origin-" + i);
                started[i].start();
            }
            return new DemoOrigin(server, workers, started);
        } catch (final IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** @return the bound port. */
    public int port() {
        return port;
    }

    /** Stops every worker, closes every connection and the listening socket; waits up to 5 s for the threads. */
    @Override
    public void close() {
        for (final OriginWorker worker : workers) {
            worker.stop();
        }
        for (final Thread thread : threads) {
            try {
                thread.join(5_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            server.close();
        } catch (final IOException e) {
            // Closing at shutdown; nothing left to do.
        }
    }

    /**
     * Runs the origin until the process is stopped; prints {@code ready HOST:PORT threads=N} once listening.
     *
     * @param args {@code [--listen HOST:PORT] [--threads N]}.
     * @throws Exception when the address cannot be bound.
     */
    public static void main(final String[] args) throws Exception {
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        int threads = DEFAULT_THREADS;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen":
                    final String listen = value(args, ++i);
                    final int colon = listen.lastIndexOf(':');
                    if (colon < 0) {
                        usage(System.err, "--listen needs HOST:PORT: " + listen);
                    }
                    host = listen.substring(0, colon);
                    port = Integer.parseInt(listen.substring(colon + 1));
                    break;
                case "--threads":
                    threads = Integer.parseInt(value(args, ++i));
                    break;
                case "--help":
                case "-h":
                    usage(System.out, null);
                    break;
                default:
                    usage(System.err, "unknown option: " + args[i]);
                    break;
            }
        }
        final DemoOrigin origin = start(host, port, threads);
        Runtime.getRuntime().addShutdownHook(new Thread(origin::close, "weir-origin-shutdown"));
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("ready " + host + ":" + origin.port() + " threads=" + threads);
        for (final Thread thread : origin.threads) {
            thread.join();
        }
    }

    private static String value(final String[] args, final int i) {
        if (i >= args.length) {
            usage(System.err, args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(final PrintStream out, final String error) {
        if (error != null) {
            out.println("error: " + error);
        }
        out.println("usage: DemoOrigin [--listen HOST:PORT] [--threads N]   (defaults 127.0.0.1:9000, 1 thread)");
        System.exit(error == null ? 0 : 2);
    }
}
