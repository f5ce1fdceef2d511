package dev.weir.bench.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.weir.bench.origin.DemoOrigin;
import dev.weir.config.WeirConfig;
import dev.weir.stage.Pipeline;

/**
 * The one extension every end-to-end test uses: a {@link DemoOrigin} and an in-process {@link Pipeline} in
 * front of it for each test, and after each test the leak check: within {@link #IDLE_DEADLINE} every slot,
 * every arena block and every origin connection of every pipeline the test started is back in its pool, and
 * no stage counted a bug.
 * <p>
 * Register it as an instance field so each test gets its own origin and pipeline:
 * <pre>
 *   &#64;RegisterExtension
 *   final WeirExtension weir = new WeirExtension(config -&gt; config.connections(256));
 * </pre>
 * The origin starts before each test; the default pipeline starts on the first call to {@link #pipeline()},
 * so a test that only drives a {@code bin/weir} process costs no arenas here. {@link #start(UnaryOperator)}
 * starts further pipelines (another origin address, fewer slots), which the leak check covers too.
 * <p>
 * <b>Note:</b> used from the test thread only; the JDK HttpClient must let go of idle connections within the
 * deadline, which the build's {@code -Djdk.httpclient.keepalive.timeout=1} ensures.
 */
public final class WeirExtension implements BeforeEachCallback, AfterEachCallback {

    /** How long a pipeline may take to see every client leave and return every slot, block and connection. */
    public static final Duration IDLE_DEADLINE = Duration.ofSeconds(10);

    private static final long POLL_INTERVAL_MS = 5;

    private final UnaryOperator<WeirConfig.Builder> defaults;
    private final List<Pipeline> pipelines = new ArrayList<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private DemoOrigin origin;
    private Pipeline pipeline;
    private HttpClient client;

    /** An extension with the small test configuration ({@link #testConfig(int)}). */
    public WeirExtension() {
        this(UnaryOperator.identity());
    }

    /**
     * @param defaults changes to the small test configuration for this class's default pipeline.
     */
    public WeirExtension(final UnaryOperator<WeirConfig.Builder> defaults) {
        this.defaults = defaults;
    }

    /**
     * The test-sized configuration: 64 slots, 4 KiB request and 16 KiB response blocks, one origin connection per slot,
     * an ephemeral port on 127.0.0.1.
     *
     * @param originPort the origin's port.
     * @return a builder to adjust further.
     */
    public static WeirConfig.Builder testConfig(final int originPort) {
        return WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", originPort).connections(64)
            .parseBufferBytes(4096).upstreamBufferBytes(16384);
    }

    @Override
    public void beforeEach(final ExtensionContext context) throws IOException {
        origin = DemoOrigin.start("127.0.0.1", 0, 1);
    }

    @Override
    public void afterEach(final ExtensionContext context) throws InterruptedException {
        try {
            for (final Pipeline p : pipelines) {
                awaitIdle(p);
                if (p.bugs() != 0) {
                    throw new AssertionError("unexpected exceptions in the stages: " + p.bugs());
                }
            }
        } finally {
            for (final Pipeline p : pipelines) {
                p.close();
            }
            pipelines.clear();
            pipeline = null;
            client = null;
            closeOwned();
            if (origin != null) {
                origin.close();
                origin = null;
            }
        }
    }

    /**
     * Waits until the pipeline holds no slot, block or origin connection.
     *
     * @param p the pipeline.
     * @throws InterruptedException when interrupted.
     * @throws AssertionError naming the pools and the busy slots when the deadline passes.
     */
    public static void awaitIdle(final Pipeline p) throws InterruptedException {
        final long deadline = System.nanoTime() + IDLE_DEADLINE.toNanos();
        while (!p.isIdle()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("leak after " + IDLE_DEADLINE.toSeconds() + " s: " + p.describePools()
                    + "\n" + p.describeBusySlots());
            }
            Thread.sleep(POLL_INTERVAL_MS);
        }
    }

    private void closeOwned() {
        for (final AutoCloseable resource : owned) {
            try {
                resource.close();
            } catch (final Exception e) {
                // Closing after the test: nothing to report.
            }
        }
        owned.clear();
    }

    /**
     * Hands a resource (another origin, a listener) to the extension, which closes it after the leak check and
     * the pipelines: an origin closed earlier would end the proxy's origin connections itself and hide a leak.
     *
     * @param resource the resource.
     * @param <T> its type.
     * @return the resource.
     */
    public <T extends AutoCloseable> T own(final T resource) {
        owned.add(resource);
        return resource;
    }

    /**
     * Deadlines of one kind the pipeline saw expire ({@code Pipeline.expirations(int)}).
     *
     * @param p the pipeline.
     * @param kind a {@link dev.weir.conn.TimeoutKind} constant.
     * @return the count.
     */
    public static long expirations(final Pipeline p, final int kind) {
        return p.expirations(kind);
    }

    /** @return the origin of this test. */
    public DemoOrigin origin() {
        return origin;
    }

    /** @return this test's default pipeline in front of {@link #origin()}, started on first use. */
    public Pipeline pipeline() {
        if (pipeline == null) {
            pipeline = start(defaults);
        }
        return pipeline;
    }

    /**
     * Starts another pipeline, covered by the leak check and closed after the test.
     *
     * @param changes changes to the test configuration (which points at {@link #origin()}).
     * @return the running pipeline.
     */
    public Pipeline start(final UnaryOperator<WeirConfig.Builder> changes) {
        final Pipeline started = Pipeline.start(changes.apply(testConfig(origin.port())).build());
        pipelines.add(started);
        return started;
    }

    /** @return the default pipeline's port. */
    public int port() {
        return pipeline().listenAddress().getPort();
    }

    /**
     * @param path a path starting with {@code /}.
     * @return the URI of that path through the default pipeline.
     */
    public URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** @return an HTTP/1.1 JDK client for this test (connect timeout 5 s). */
    public HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        }
        return client;
    }

    /**
     * @return a port nothing listens on (bound and released at once).
     */
    public static int deadPort() {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1,
            java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
