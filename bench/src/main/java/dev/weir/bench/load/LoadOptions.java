package dev.weir.bench.load;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * What one load run does: target, concurrency, length and pacing. Mutable builder-style; validated by
 * {@link #validate()} before a run.
 * <p>
 * <b>Note:</b> not thread-safe; configure on one thread, then hand to {@link LoadGenerator#run}.
 */
public final class LoadOptions {

    /** Default connections. */
    public static final int DEFAULT_CONNECTIONS = 16;
    /** Default NIO threads. */
    public static final int DEFAULT_THREADS = 1;
    /** Default measured duration in milliseconds. */
    public static final long DEFAULT_DURATION_MS = 10_000;
    /** Default per-request timeout in milliseconds. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
    /** Hard bound on any run, in milliseconds, whatever else is asked. */
    public static final long DEFAULT_MAX_RUN_MS = TimeUnit.MINUTES.toMillis(30);

    private String host = "127.0.0.1";
    private int port;
    private String path = "/";
    private String method = "GET";
    private int requestBodyBytes;
    private int connections = DEFAULT_CONNECTIONS;
    private int threads = DEFAULT_THREADS;
    private long durationMs = DEFAULT_DURATION_MS;
    private long warmupMs;
    private long requests;
    private double ratePerSecond;
    private int expectStatus = 200;
    private long expectBodyBytes = -1;
    private boolean verifyPattern;
    private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
    private long maxRunMs = -1;

    /** @param value target host; must be a loopback address. @return this. */
    public LoadOptions host(final String value) {
        host = value;
        return this;
    }

    /** @param value target port. @return this. */
    public LoadOptions port(final int value) {
        port = value;
        return this;
    }

    /** @param value request target, e.g. {@code /bytes/128}. @return this. */
    public LoadOptions path(final String value) {
        path = value;
        return this;
    }

    /** @param value request method, e.g. {@code GET} or {@code POST}. @return this. */
    public LoadOptions method(final String value) {
        method = value;
        return this;
    }

    /** @param value bytes of pattern body sent with each request (Content-Length); 0 for none. @return this. */
    public LoadOptions requestBodyBytes(final int value) {
        requestBodyBytes = value;
        return this;
    }

    /** @param value keep-alive connections. @return this. */
    public LoadOptions connections(final int value) {
        connections = value;
        return this;
    }

    /** @param value NIO threads; connections are spread over them. @return this. */
    public LoadOptions threads(final int value) {
        threads = value;
        return this;
    }

    /** @param value measured duration in ms (ignored when {@link #requests(long)} is set). @return this. */
    public LoadOptions durationMs(final long value) {
        durationMs = value;
        return this;
    }

    /** @param value unrecorded warm-up before the measured duration, in ms. @return this. */
    public LoadOptions warmupMs(final long value) {
        warmupMs = value;
        return this;
    }

    /** @param value fixed request count instead of a duration; 0 runs for the duration. @return this. */
    public LoadOptions requests(final long value) {
        requests = value;
        return this;
    }

    /** @param value fixed total rate in req/s, coordinated-omission corrected; 0 = closed loop. @return this. */
    public LoadOptions ratePerSecond(final double value) {
        ratePerSecond = value;
        return this;
    }

    /** @param value status every response must have. @return this. */
    public LoadOptions expectStatus(final int value) {
        expectStatus = value;
        return this;
    }

    /** @param value body length every response must have; -1 skips the check. @return this. */
    public LoadOptions expectBodyBytes(final long value) {
        expectBodyBytes = value;
        return this;
    }

    /** @param value check every body byte against the demo origin's pattern. @return this. */
    public LoadOptions verifyPattern(final boolean value) {
        verifyPattern = value;
        return this;
    }

    /** @param value a request without its full response after this many ms is an error. @return this. */
    public LoadOptions requestTimeoutMs(final long value) {
        requestTimeoutMs = value;
        return this;
    }

    /** @param value hard deadline for the whole run in ms; -1 derives one from the other settings. @return this. */
    public LoadOptions maxRunMs(final long value) {
        maxRunMs = value;
        return this;
    }

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException naming the first bad option.
     */
    public void validate() {
        try {
            if (!InetAddress.getByName(host).isLoopbackAddress()) {
                throw new IllegalArgumentException("host must be a loopback address (127.0.0.1): " + host);
            }
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException("unknown host: " + host, e);
        }
        require(port > 0 && port < 65536, "port out of range: " + port);
        require(path.startsWith("/"), "path must start with /: " + path);
        require(connections >= 1, "connections must be at least 1");
        require(threads >= 1 && threads <= connections, "threads must be between 1 and connections");
        require(requests > 0 || durationMs > 0, "set a duration or a request count");
        require(warmupMs >= 0 && ratePerSecond >= 0 && requestBodyBytes >= 0, "negative warm-up, rate or body");
        require(requestTimeoutMs > 0, "request timeout must be positive");
    }

    private static void require(final boolean condition, final String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** @return the effective hard deadline of a run in ms. */
    public long effectiveMaxRunMs() {
        if (maxRunMs > 0) {
            return Math.min(maxRunMs, DEFAULT_MAX_RUN_MS);
        }
        final long planned = requests > 0 ? DEFAULT_MAX_RUN_MS : warmupMs + durationMs + requestTimeoutMs;
        return Math.min(planned, DEFAULT_MAX_RUN_MS);
    }

    /** @return target host. */
    public String host() {
        return host;
    }

    /** @return target port. */
    public int port() {
        return port;
    }

    /** @return request target. */
    public String path() {
        return path;
    }

    /** @return request method. */
    public String method() {
        return method;
    }

    /** @return request body bytes. */
    public int requestBodyBytes() {
        return requestBodyBytes;
    }

    /** @return connections. */
    public int connections() {
        return connections;
    }

    /** @return threads. */
    public int threads() {
        return threads;
    }

    /** @return measured duration in ms. */
    public long durationMs() {
        return durationMs;
    }

    /** @return warm-up in ms. */
    public long warmupMs() {
        return warmupMs;
    }

    /** @return fixed request count, 0 for a timed run. */
    public long requests() {
        return requests;
    }

    /** @return fixed rate in requests/s, 0 for closed loop. */
    public double ratePerSecond() {
        return ratePerSecond;
    }

    /** @return expected status. */
    public int expectStatus() {
        return expectStatus;
    }

    /** @return expected body length, -1 for unchecked. */
    public long expectBodyBytes() {
        return expectBodyBytes;
    }

    /** @return whether bodies are checked against the pattern. */
    public boolean verifyPattern() {
        return verifyPattern;
    }

    /** @return per-request timeout in ms. */
    public long requestTimeoutMs() {
        return requestTimeoutMs;
    }
}
