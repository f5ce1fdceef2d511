package dev.weir.warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.weir.config.ConfigKeys;
import dev.weir.config.UpstreamGroupConfig;
import dev.weir.config.WeirConfig;
import dev.weir.stage.Pipeline;

/**
 * The warm-up before "ready" ({@code jvm.warm-up}): the configured number of exchanges through a small pipeline of
 * the same shape as the one that will serve, between {@link WarmClient}s and a {@link WarmOrigin} on
 * {@code 127.0.0.1}, then that pipeline is closed and its arenas freed.
 * <p>
 * Why: the JIT compiles the stages' code from what it has seen run. Compiled from steady traffic alone, it leaves
 * out the paths that run rarely or only at the start (a connection's first request, a close, an error answer) and
 * deoptimizes when they run later: every burst of new connections after a quiet spell then ran interpreted code
 * and recompiled, on the stage threads' core, in the middle of serving. The warm-up runs every shape of exchange
 * first, so the code that serves is compiled with all of them seen, and compiled before the first client.
 * <pre>
 *   WarmClient x 4 --> warm-up pipeline (same stages, threads and keys; 127.0.0.1:0, 32 slots) --> WarmOrigin
 * </pre>
 * <b>Note:</b> runs on the calling thread before the serving pipeline starts. Its clients are joined, or cut off
 * and counted as failed, by the deadline plus a read timeout; its origin's threads are joined after their sockets
 * are closed.
 */
public final class WarmUp {

    /** Clients at once: enough that the stages see exchanges overlap, as they will. */
    static final int CLIENTS = 4;
    /** Slots of the warm-up pipeline: its memory is a small part of the plan's, and freed before ready. */
    static final int CONNECTIONS = 32;
    /** A body the upload sends, when {@code parse.max-body} allows it. */
    static final int UPLOAD_BYTES = 16 * 1024;
    /**
     * Parts the exchanges are run in, with a quiet spell between, so that stages going idle and waking again with
     * new connections are among what the JIT sees, as in traffic with lulls.
     */
    static final int BATCHES = 5;
    /** The quiet spell: long enough for every stage to stop spinning and park or block in select. */
    static final long PAUSE_MS = 100;
    /** Fewest bytes of the largest body, and the size of the large body the other passes ask for. */
    static final int MIN_LARGE_BYTES = 256 * 1024;
    /** Most bytes of the largest body, whatever the client send buffer. */
    static final int MAX_LARGE_BYTES = 4 * 1024 * 1024;
    /** Longest the warm-up may take; on a slow host it stops there with what it has done. */
    public static final long DEADLINE_MS = 30_000;
    /** A client still running this long after the deadline is cut off: one read timeout and a second more. */
    public static final long CUT_OFF_MS = WarmClient.READ_TIMEOUT_MS + 1_000;
    /** Where the warm-up listens and its origin is: an IPv4 literal, whatever the JVM prefers. */
    static final String LOOPBACK = "127.0.0.1";
    /** The access log's file during the warm-up: its lines are not the operator's. */
    static final String DISCARDED_LOG = "/dev/null";

    private WarmUp() {
    }

    /**
     * A quiet spell: nothing to wait for, the stages are to see no traffic for a while.
     *
     * @return {@code false} when interrupted, the flag set again.
     */
    private static boolean pause() {
        try {
            Thread.sleep(PAUSE_MS);
            return true;
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** @return {@code true} once the thread ended; {@code false} when it runs at {@code byNs} or on interrupt. */
    private static boolean joinBy(final Thread thread, final long byNs) {
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(byNs - System.nanoTime())));
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    /** @return the {@code index}th of {@code parts} near-equal parts of {@code total}, the first ones larger. */
    static long part(final long total, final int parts, final int index) {
        return total / parts + (index < total % parts ? 1 : 0);
    }

    /**
     * What a warm-up did.
     *
     * @param exchanges    exchanges made.
     * @param failed       exchanges not answered as expected.
     * @param connections  client connections opened.
     * @param elapsedMs    how long it took.
     * @param firstFailure what went wrong first, or {@code null}.
     * @param pipelinePort where the warm-up pipeline listened, closed by the time this is returned; 0 when off.
     * @param originPort   where the warm-up origin listened, closed as well; 0 when off.
     * @param arenasLeft   a warm-up stage thread did not stop, so its arenas were not freed: Weir must not start.
     */
    public record Result(long exchanges, long failed, long connections, long elapsedMs, String firstFailure,
        int pipelinePort, int originPort, boolean arenasLeft) {

        Result withArenasLeft() {
            return new Result(exchanges, failed, connections, elapsedMs, firstFailure, pipelinePort, originPort, true);
        }

        /** @return one line for the console. */
        public String describe() {
            return exchanges + " exchanges on " + connections + " connections through the stages in " + elapsedMs
                + " ms, " + failed + " failed" + (firstFailure == null ? "" : " (first: " + firstFailure + ")");
        }
    }

    /**
     * Run the warm-up {@code config} asks for.
     *
     * @param config the validated configuration of the pipeline that will serve.
     * @return what it did; zero exchanges when {@code jvm.warm-up} is 0.
     * @throws UncheckedIOException when the warm-up origin cannot be bound.
     */
    public static Result run(final WeirConfig config) {
        final long startNs = System.nanoTime();
        final long exchanges = config.warmUpExchanges();
        if (exchanges == 0) {
            return new Result(0, 0, 0, 0, null, 0, 0, false);
        }
        final int largeBytes = largeBytes(config);
        try (WarmOrigin origin = WarmOrigin.start(largeBytes)) {
            final Pipeline pipeline = Pipeline.start(configFor(config, origin.port()));
            Result result = null;
            try {
                result = drive(pipeline, origin.port(), config, exchanges, largeBytes, startNs);
            } finally {
                pipeline.close();
            }
            // A stage thread that did not stop keeps its arenas (Pipeline.close): the plan would no longer hold.
            return pipeline.arenas().isEmpty() ? result : result.withArenasLeft();
        } catch (final IOException ex) {
            throw new UncheckedIOException("warm-up origin: " + ex.getMessage(), ex);
        }
    }

    /**
     * The warm-up pipeline's configuration: the serving one's, with every server of every group at the warm-up
     * origin, listening on a free port of {@code 127.0.0.1}, {@value #CONNECTIONS} slots, no admin listener, the
     * access log (when on) to {@value #DISCARDED_LOG} and no memory lock.
     *
     * @param config the serving configuration.
     * @param port   the warm-up origin's port.
     * @return the warm-up's configuration.
     */
    static WeirConfig configFor(final WeirConfig config, final int port) {
        // At least one slot and origin connection per upstream thread, as validation asks.
        final int connections = Math.min(config.connections(), Math.max(CONNECTIONS, config.upstreamThreads()));
        final WeirConfig.Builder b = config.toBuilder()
            .listen(LOOPBACK, 0)
            .reusePort(false)
            .connections(connections)
            .ringSize(0)
            .upstreamMaxConnections(config.upstreamMaxConnections() == 0 ? 0
                : Math.max(config.upstreamThreads(), Math.min(config.upstreamMaxConnections(), connections)))
            .largeResponseBufferCount(Math.min(config.largeResponseBufferCount(), connections))
            .adminListen(null, 0)
            .accessLogPath(config.accessLogOn() ? DISCARDED_LOG : ConfigKeys.ACCESS_LOG_OFF)
            .lockMemory(false)
            .warmUpExchanges(0);
        if (config.hasUpstreamsSection()) {
            final List<UpstreamGroupConfig> groups = new ArrayList<>();
            for (final UpstreamGroupConfig group : config.upstreamGroups()) {
                groups.add(group.atAddress(LOOPBACK, port));
            }
            b.upstreamGroups(groups);
        } else {
            b.upstream(LOOPBACK, port);
        }
        return b.build();
    }

    /**
     * @param config the serving configuration.
     * @return the largest body of the warm-up: more than a grown client send buffer holds, so the write stage
     *     grows one, fills it and waits on it, as a large download does.
     */
    static int largeBytes(final WeirConfig config) {
        final long grown = config.largeResponseBufferCount() == 0 ? 0 : config.largeResponseBufferBytes();
        return (int) Math.min(MAX_LARGE_BYTES, Math.max(MIN_LARGE_BYTES,
            grown + 4L * config.socketResponseBufferBytes()));
    }

    private static Result drive(final Pipeline pipeline, final int originPort, final WeirConfig config,
        final long exchanges, final int largeBytes, final long startNs) {
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        final int uploadBytes = (int) (config.maxBodyBytes() == 0 ? UPLOAD_BYTES
            : Math.min(UPLOAD_BYTES, config.maxBodyBytes()));
        // Fewer clients than slots, or one would wait in the backlog for a slot the others hold.
        final int clientCount = Math.max(1, Math.min(CLIENTS, config.connections() / 2));
        final boolean fullHeads = config.maxHeaders() >= WarmClient.MOST_FIELDS;
        long done = 0;
        long failed = 0;
        long connections = 0;
        String firstFailure = null;
        for (int batch = 0; batch < BATCHES && System.nanoTime() - deadlineNs < 0; batch++) {
            if (batch > 0 && !pause()) {
                break;
            }
            final WarmClient[] clients = new WarmClient[clientCount];
            final Thread[] threads = new Thread[clientCount];
            for (int i = 0; i < clientCount; i++) {
                final long share = part(part(exchanges, BATCHES, batch), clientCount, i);
                clients[i] = new WarmClient(pipeline.listenAddress(), share, deadlineNs, uploadBytes, largeBytes,
                    fullHeads);
                threads[i] = new Thread(clients[i], "weir-warm-client-" + i);
                threads[i].setDaemon(true);
                threads[i].start();
            }
            // Past the deadline a client starts no exchange, and one under way ends within its read timeout; one
            // still running after that is cut off (its socket closed) and counted as failed.
            final long joinByNs = deadlineNs + TimeUnit.MILLISECONDS.toNanos(CUT_OFF_MS);
            for (int i = 0; i < clientCount; i++) {
                if (!joinBy(threads[i], joinByNs)) {
                    clients[i].abort();
                    joinBy(threads[i], System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                }
                final boolean ended = !threads[i].isAlive();
                done += clients[i].done();
                failed += clients[i].failed() + (ended ? 0 : 1);
                connections += clients[i].connections();
                if (firstFailure == null) {
                    firstFailure = ended ? clients[i].firstFailure() : threads[i].getName() + " did not end";
                }
            }
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
        }
        return new Result(done, failed, connections, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs),
            firstFailure, pipeline.listenAddress().getPort(), originPort, false);
    }
}
