package dev.weir.stage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.LoggerFactory;

import dev.weir.arena.Arena;
import dev.weir.arena.BlockPool;
import dev.weir.arena.MemoryLock;
import dev.weir.config.ConfigException;
import dev.weir.config.HostPort;
import dev.weir.config.StageSizes;
import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.ExchangeObserver;
import dev.weir.conn.TimeoutKind;
import dev.weir.http.CannedResponses;
import dev.weir.http.RequestPolicy;
import dev.weir.log.AccessLog;
import dev.weir.log.RequestCapture;
import dev.weir.ring.SlotPool;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;
import dev.weir.upstream.HealthChecker;
import dev.weir.upstream.UpstreamConnection;
import dev.weir.upstream.UpstreamPool;
import dev.weir.upstream.UpstreamServer;
import dev.weir.upstream.Upstreams;

/**
 * The running proxy: committed arenas, the connection slot table, the rings and the four stages.
 * <p>
 * Startup order: commit every arena (so the memory is really there before anything runs), carve the block
 * pools, build slots and rings, bind the listening socket, then start the stage threads.
 * <p>
 * <b>Note:</b> {@link #start(WeirConfig)} returns once the listening socket is bound and every stage thread
 * runs; {@link #close()} stops the stages and releases the arenas. The read methods may be called from any
 * thread and allocate nothing.
 */
public final class Pipeline implements AutoCloseable {

    private static final int STAGE_SCRATCH_BYTES = (int) StageSizes.STAGE_SCRATCH_BYTES;
    /** Longest the stage threads may take to touch their stacks and pin themselves before "ready". */
    private static final long PREPARE_TIMEOUT_MS = 10_000;

    private final WeirConfig config;
    private final List<Arena> arenas = new ArrayList<>();
    private final List<StageRunner> runners = new ArrayList<>();
    private final List<SelectorStage> stages = new ArrayList<>();
    private final List<UpstreamStage> upstreamStages = new ArrayList<>();
    private final List<StageView> stageViews = new ArrayList<>();
    private final List<ExchangeMetrics> exchangeMetrics = new ArrayList<>();
    /** Shared by every stage thread: an idle one yields only while another works. */
    private final WorkingThreads workingThreads = new WorkingThreads();
    private Wiring wiring;
    private LargeSendBuffers largeSendBuffers;
    private SlotPool<ConnectionSlot> slots;
    private BlockPool parseBlocks;
    private BlockPool upstreamBlocks;
    private InetSocketAddress listenAddress;
    private ServerSocketChannel server;
    private Upstreams upstreams;
    private AccessLog accessLog;
    private ThreadPreparation preparation;
    private int lockFlags;
    private AdmissionGate[] parseGates = new AdmissionGate[0];
    private AdmissionGate[] upstreamGates = new AdmissionGate[0];
    private AdmissionGate[] writeGates = new AdmissionGate[0];

    private Pipeline(final WeirConfig config) {
        this.config = config;
    }

    /**
     * Commit every arena, build slots and rings, bind the listening socket and start the stages; each stage thread
     * touches its stack ({@code jvm.stack-pretouch}) and pins itself ({@code affinity}) before its first turn, and
     * this returns once all have. With {@code memory.lock}, the whole process is then locked in RAM.
     *
     * @param config the validated configuration.
     * @return the running pipeline.
     * @throws ConfigException when an upstream server's host cannot be resolved.
     * @throws UncheckedIOException when the listening socket cannot be bound.
     */
    public static Pipeline start(final WeirConfig config) {
        return start(config, ExchangeObserver.PerThread.NONE);
    }

    /**
     * As {@link #start(WeirConfig)}, telling extra observers of every exchange that ends (for tests and tools).
     * Each thread's {@link ExchangeMetrics} is told first, then the extra observer.
     *
     * @param config    the validated configuration.
     * @param observers makes one observer per parse, upstream and write stage thread; called before any starts.
     * @return the running pipeline.
     * @throws ConfigException when an upstream server's host cannot be resolved.
     */
    public static Pipeline start(final WeirConfig config, final ExchangeObserver.PerThread observers) {
        final Upstreams upstreams = Upstreams.of(config, config.upstreamThreads());
        final Pipeline pipeline = new Pipeline(config);
        pipeline.upstreams = upstreams;
        try {
            pipeline.build(observers);
        } catch (final IOException ex) {
            pipeline.close();
            throw new UncheckedIOException("cannot start: " + ex.getMessage(), ex);
        } catch (final RuntimeException ex) {
            pipeline.close();
            throw ex;
        }
        try {
            pipeline.startThreads();
        } catch (final RuntimeException ex) {
            pipeline.close();
            throw ex;
        }
        return pipeline;
    }

    /**
     * Start the log and stage threads, wait until each has touched its stack and pinned itself, then, with
     * {@code memory.lock}, lock the process: everything is committed by then.
     */
    private void startThreads() {
        final int threads = runners.size() + (accessLog == null ? 0 : 1);
        final String[] names = new String[threads];
        for (int i = 0; i < runners.size(); i++) {
            names[i] = runners.get(i).stage().roleName();
        }
        if (accessLog != null) {
            names[threads - 1] = AccessLog.THREAD_NAME;
        }
        // Set before any thread starts, which publishes it to them.
        preparation = new ThreadPreparation(config.stackPretouchBytes(), config.affinityCpus(), names);
        if (accessLog != null) {
            accessLog.start(() -> preparation.prepare(threads - 1));
        }
        for (final StageRunner runner : runners) {
            runner.start();
        }
        preparation.await(PREPARE_TIMEOUT_MS);
        if (config.lockMemory()) {
            lockFlags = MemoryLock.lockProcess();
        }
    }

    /** @return one line: where each stage thread runs and how much of its stack was touched before "ready". */
    public String describeThreads() {
        return preparation == null ? "not started" : preparation.describe();
    }

    /**
     * @return the {@code mlockall} flags the kernel accepted ({@link MemoryLock#MCL_CURRENT} and the others), or 0
     *     when {@code memory.lock} is off.
     */
    public int lockFlags() {
        return lockFlags;
    }

    private void build(final ExchangeObserver.PerThread observers) throws IOException {
        final WeirConfig c = config;
        // The memory plan states these very sizes: StageSizes is the one place they are computed.
        final Arena acceptArena = commit("accept", StageSizes.acceptArenaBytes(c));
        final Arena parseArena = commit("parse", StageSizes.parseArenaBytes(c));
        final Arena upstreamArena = commit("upstream", StageSizes.upstreamArenaBytes(c));
        final Arena writeArena = commit("write", StageSizes.writeArenaBytes(c));
        if (c.accessLogOn()) {
            accessLog = AccessLog.open(c, commit("log", StageSizes.logArenaBytes(c)), upstreamServerNames());
        }
        final RequestCapture capture = accessLog == null ? RequestCapture.OFF : accessLog.capture();
        parseBlocks = parseArena.carveBlocks("parse", c.parseBufferBytes(), c.connections());
        upstreamBlocks = upstreamArena.carveBlocks("upstream", c.upstreamBufferBytes(), c.connections());

        final Selector acceptSelector = Selector.open();
        final WakeSignal acceptWake = new WakeSignal(acceptSelector);
        final Selector[] parseSelectors = selectors(c.parseThreads());
        // Fused, parse thread i and upstream thread i select over one selector: their keys never collide, since
        // parse registers client sockets and upstream origin sockets and probes (write, which registers client
        // sockets too, keeps its own).
        final boolean fused = c.fuseParseUpstream();
        final Selector[] upstreamSelectors = fused ? parseSelectors : selectors(c.upstreamThreads());
        final Selector[] writeSelectors = selectors(c.writeThreads());
        final WakeSignal[] parseWakes = wakes(parseSelectors);
        // Fused too, each stage keeps its own wake signal (a pipe each in the shared selector): either inbox's
        // producer ends the fused thread's sleep, and each gate reads its own stage's flag.
        final WakeSignal[] upstreamWakes = wakes(upstreamSelectors);
        final WakeSignal[] writeWakes = wakes(writeSelectors);
        final StageRing[] parseRings = rings("parse", parseWakes);
        final StageRing[] upstreamRings = rings("upstream", upstreamWakes);
        final StageRing[] writeRings = rings("write", writeWakes);

        // The accept stage releases a returned slot's blocks; it is built after the pool, hence the holder.
        final AcceptStage[] acceptHolder = new AcceptStage[1];
        final RequestPolicy requestPolicy = c.requestPolicy();
        slots = new SlotPool<>(c.connections(), c.ringSize(), index -> new ConnectionSlot(index, requestPolicy),
            acceptWake,
            index -> acceptHolder[0].onSlotReturned(index));
        largeSendBuffers = largeSendBuffers(c);
        final Wiring wiring = new Wiring(slots, parseRings, upstreamRings, writeRings, largeSendBuffers);
        this.wiring = wiring;

        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, Boolean.TRUE);
        if (c.reusePort()) {
            // Before bind: the kernel then lets every process that set it bind the same address and spreads new
            // connections across their listening sockets. WeirConfig checked that the platform supports it.
            server.setOption(StandardSocketOptions.SO_REUSEPORT, Boolean.TRUE);
        }
        // Set before bind so accepted sockets inherit it and the window scale is negotiated for it.
        server.setOption(StandardSocketOptions.SO_RCVBUF, c.socketReceiveBufferBytes());
        bindListener(c);
        server.configureBlocking(false);
        listenAddress = (InetSocketAddress) server.getLocalAddress();

        final ByteBuffer serviceUnavailable = cannedView(acceptArena, 503);
        final StageTimeouts timeouts = StageTimeouts.of(c);
        // One target for every gate: a hand-off that waited that long is as late in any stage.
        final long targetNs = TimeUnit.MILLISECONDS.toNanos(c.admissionQueueDelayMs());
        parseGates = gates(parseWakes, targetNs);
        upstreamGates = gates(upstreamWakes, targetNs);
        writeGates = gates(writeWakes, targetNs);
        final SlotDemand slotDemand = new SlotDemand();
        acceptHolder[0] = new AcceptStage(acceptSelector, acceptWake, server, wiring, parseBlocks, upstreamBlocks,
            c.socketResponseBufferBytes(), serviceUnavailable, acceptArena.view(
                acceptArena.reserve(AcceptStage.DEFAULT_REJECT_DRAIN_BYTES), AcceptStage.DEFAULT_REJECT_DRAIN_BYTES),
            TimeUnit.MILLISECONDS.toNanos(c.acceptQueueTimeoutMs()), c.acceptBacklog(), slotDemand, parseGates);
        add(acceptHolder[0], "accept", ConnectionState.OWNER_NONE, 0, 1, true);
        final ParseStage[] parseStages = new ParseStage[c.parseThreads()];
        for (int i = 0; i < c.parseThreads(); i++) {
            final long offset = parseArena.reserve(STAGE_SCRATCH_BYTES);
            final byte[] continueBytes = ParseStage.continueBytes();
            parseArena.store().write(offset, continueBytes, 0, continueBytes.length);
            // The 503 a gate's refusal writes, after the interim response in the same scratch.
            final byte[] refusal = CannedResponses.bytes(503);
            parseArena.store().write(offset + continueBytes.length, refusal, 0, refusal.length);
            final ParseStage parse = new ParseStage(i, parseSelectors[i], parseWakes[i], parseRings[i], wiring,
                parseArena.store(), c.parseBufferBytes(), parseArena.view(offset, continueBytes.length),
                parseArena.view(offset + continueBytes.length, refusal.length), timeouts, capture, upstreamGates,
                writeGates, slotDemand);
            parse.admissionGate(parseGates[i]);
            parseStages[i] = parse;
            add(parse, "parse", ConnectionState.OWNER_PARSE, i, c.parseThreads(), !fused);
        }
        for (int i = 0; i < c.upstreamThreads(); i++) {
            final long offset = upstreamArena.reserve(STAGE_SCRATCH_BYTES);
            final UpstreamPool pool = new UpstreamPool(StageSizes.originConnectionsOfThread(c, i), c.connections(),
                upstreams.servers(), i);
            final UpstreamStage stage = new UpstreamStage(i, upstreamSelectors[i], upstreamWakes[i],
                upstreamRings[i], wiring, pool, upstreams, parseArena.store(), upstreamArena.store(),
                c.upstreamBufferBytes(), c.socketResponseBufferBytes(), c.socketSendBufferBytes(),
                upstreamArena.view(offset, STAGE_SCRATCH_BYTES), timeouts, upstreamGates[i], c.writeThrough());
            if (i == 0 && c.healthCheckedServerCount() > 0) {
                // One thread checks for all: health is shared, and each server needs only one check socket.
                stage.healthChecker(new HealthChecker(c, upstreams, upstreamSelectors[i], c.socketReceiveBufferBytes(),
                    c.socketSendBufferBytes(), System.nanoTime()));
            }
            upstreamStages.add(stage);
            add(stage, "upstream", ConnectionState.OWNER_UPSTREAM, i, c.upstreamThreads(), !fused);
            if (fused) {
                addRunner(new FusedStage(i, parseStages[i], stage, parseSelectors[i], config.idleYields(),
                    workingThreads));
            }
        }
        for (int i = 0; i < c.writeThreads(); i++) {
            final WriteStage write = new WriteStage(i, writeSelectors[i], writeWakes[i], writeRings[i], wiring,
                CannedResponses.viewsFor(writeArena), timeouts);
            write.admissionGate(writeGates[i]);
            add(write, "write", ConnectionState.OWNER_WRITE, i, c.writeThreads(), true);
        }
        final AccessLog log = accessLog;
        // Allocates: one composed observer per stage thread, at startup.
        final ExchangeObserver.PerThread all = log == null ? observers
            : (owner, thread) -> log.observer().andThen(observers.create(owner, thread));
        observe(wiring, ConnectionState.OWNER_PARSE, c.parseThreads(), all);
        observe(wiring, ConnectionState.OWNER_UPSTREAM, c.upstreamThreads(), all);
        observe(wiring, ConnectionState.OWNER_WRITE, c.writeThreads(), all);
    }

    /** @return the upstream servers' addresses by {@code ExchangeFacts.server} index, for the access log. */
    private String[] upstreamServerNames() {
        final UpstreamServer[] servers = upstreams.servers();
        final String[] names = new String[servers.length];
        for (int i = 0; i < servers.length; i++) {
            names[i] = servers[i].address();
        }
        return names;
    }

    private void observe(final Wiring wiring, final int owner, final int threads,
        final ExchangeObserver.PerThread observers) {
        for (int thread = 0; thread < threads; thread++) {
            final ExchangeMetrics metrics = new ExchangeMetrics();
            exchangeMetrics.add(metrics);
            wiring.observe(owner, thread, metrics.andThen(observers.create(owner, thread)));
        }
    }

    /** Binds the listening socket; a taken port fails with a message naming the key and what to do. */
    private void bindListener(final WeirConfig c) throws IOException {
        final String address = HostPort.format(c.listenHost(), c.listenPort());
        try {
            server.bind(new InetSocketAddress(c.listenHost(), c.listenPort()), c.acceptBacklog());
        } catch (final BindException e) {
            // EADDRINUSE; other bind errors (an address this host lacks, a privileged port) get no hint.
            final boolean taken = String.valueOf(e.getMessage()).contains("in use");
            final String hint = !taken ? "" : c.reusePort()
                ? " (with accept.reuse-port every process on the port must set it, under the same user)"
                : " (another process holds the port; to share it, set accept.reuse-port: true on every process)";
            final BindException named = new BindException("accept.listen " + address + ": " + e.getMessage() + hint);
            named.initCause(e);
            throw named;
        }
    }

    private Arena commit(final String name, final long bytes) {
        // Never locked one by one: memory.lock locks the whole process once everything is committed.
        final Arena arena = Arena.commit(name, bytes, false);
        arenas.add(arena);
        return arena;
    }

    private static ByteBuffer cannedView(final Arena arena, final int status) {
        final byte[] bytes = CannedResponses.bytes(status);
        final long offset = arena.reserve(bytes.length);
        arena.store().write(offset, bytes, 0, bytes.length);
        return arena.view(offset, bytes.length);
    }

    /**
     * @param ownThread {@code false} for a stage a {@link FusedStage} runs: its runner is added with the fused one.
     */
    private void add(final SelectorStage stage, final String name, final int owner, final int thread,
        final int threads, final boolean ownThread) {
        stages.add(stage);
        stageViews.add(new StageView(stage, name, ownThread ? stage.roleName() : FusedStage.threadName(thread), owner,
            thread, threads, slots));
        if (ownThread) {
            // Only its own loop reads them: a fused thread idles by its own rule (FusedStage.idle), never the
            // stage's.
            stage.idleYields(config.idleYields());
            stage.workingThreads(workingThreads);
            addRunner(stage);
        }
    }

    private void addRunner(final Stage stage) {
        final int order = runners.size();
        // Allocates: the start callback of each stage thread, at startup.
        runners.add(new StageRunner(stage, () -> preparation.prepare(order), workingThreads));
    }

    private static Selector[] selectors(final int count) throws IOException {
        final Selector[] selectors = new Selector[count];
        for (int i = 0; i < count; i++) {
            selectors[i] = Selector.open();
        }
        return selectors;
    }

    private static WakeSignal[] wakes(final Selector[] selectors) {
        final WakeSignal[] wakes = new WakeSignal[selectors.length];
        for (int i = 0; i < selectors.length; i++) {
            wakes[i] = new WakeSignal(selectors[i]);
        }
        return wakes;
    }

    private StageRing[] rings(final String stage, final WakeSignal[] wakes) {
        final StageRing[] rings = new StageRing[wakes.length];
        for (int i = 0; i < wakes.length; i++) {
            rings[i] = new StageRing(stage + "-" + i, config.ringSize(), wakes[i]);
        }
        return rings;
    }

    /** @return the bound listening address (the real port when the configuration asked for 0). */
    public InetSocketAddress listenAddress() {
        return listenAddress;
    }

    /** @return the configuration the pipeline runs with. */
    public WeirConfig config() {
        return config;
    }

    /**
     * @return the access log, to read its counters ({@code records}, {@code dropped}, {@code written}) and to ask it
     *         to reopen its file; {@code null} when {@code access-log.path} is {@code none}.
     */
    public AccessLog accessLog() {
        return accessLog;
    }

    /** @return the committed arenas: accept, parse, upstream, write, and log when the access log is on. */
    public List<Arena> arenas() {
        return List.copyOf(arenas);
    }

    /** @return connection slots in use (released slots not yet taken back by the accept stage count as free). */
    public int slotsInUse() {
        return slots.capacity() - slots.available();
    }

    /** @return the slot table. */
    public SlotPool<ConnectionSlot> slots() {
        return slots;
    }

    /** @return the parse arena's block pool. */
    public BlockPool parseBlocks() {
        return parseBlocks;
    }

    /** @return the upstream arena's block pool. */
    public BlockPool upstreamBlocks() {
        return upstreamBlocks;
    }

    /**
     * Every configured upstream server, by index (the index {@code ExchangeFacts.server} holds), for metrics:
     * each reads its health and counters with acquire loads and allocates nothing.
     *
     * @return the servers, an unmodifiable list built at startup.
     */
    public List<UpstreamServer> upstreamServers() {
        return upstreams.serverList();
    }

    /**
     * @param serverIndex a server index, e.g. {@code ExchangeFacts.server}.
     * @return its address as configured, {@code host:port}, or {@code "-"} for -1 (no server was attached).
     */
    public String serverAddress(final int serverIndex) {
        return serverIndex < 0 ? "-" : upstreams.servers()[serverIndex].address();
    }

    /** @return active health checks completed since start (read without synchronisation; for tests). */
    public long healthChecks() {
        final HealthChecker checker = upstreamStages.isEmpty() ? null : upstreamStages.get(0).healthChecker();
        return checker == null ? 0 : checker.checks();
    }

    /** @return origin connections serving a request now, over every upstream thread. */
    public int upstreamConnectionsBusy() {
        int busy = 0;
        for (final UpstreamStage stage : upstreamStages) {
            busy += stage.pool().busy();
        }
        return busy;
    }

    /**
     * @return {@code true} when no connection holds a slot, block or origin connection: what every test
     *         checks after its clients have gone, to prove nothing leaked.
     */
    public boolean isIdle() {
        return slotsInUse() == 0 && parseBlocks.counters().inUse() == 0 && upstreamBlocks.counters().inUse() == 0
            && upstreamConnectionsBusy() == 0 && upstreamQueued() == 0;
    }

    /** @return a one-line account of the pools, for leak reports. */
    public String describePools() {
        return "slots in use " + slotsInUse() + "/" + slots.capacity()
            + ", parse blocks in use " + parseBlocks.counters().inUse()
            + ", upstream blocks in use " + upstreamBlocks.counters().inUse()
            + ", origin connections busy " + upstreamConnectionsBusy() + ", queued " + upstreamQueued();
    }

    /**
     * A diagnostic listing of every slot that is not free, with the state of each half; for test failure
     * messages. Reads slots owned by other threads without synchronisation, so it may be slightly stale.
     *
     * @return one line per busy slot.
     */
    public String describeBusySlots() {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < slots.capacity(); i++) {
            final ConnectionSlot slot = slots.slot(i);
            if (slot.request.state != ConnectionState.FREE) {
                final UpstreamConnection origin = slot.origin;
                text.append("slot ").append(i)
                    .append(" request=").append(ConnectionState.name(slot.request.state))
                    .append(" filled=").append(slot.request.filled)
                    .append(" response=").append(ConnectionState.name(slot.response.state))
                    .append(" filled=").append(slot.response.filled)
                    .append(" headParsed=").append(slot.response.headParsed)
                    .append(" last=").append(slot.response.last)
                    .append(" origin=").append(origin == null ? "-"
                        : origin.index + ":" + UpstreamConnection.stateName(origin.state))
                    .append(" parseOps=").append(interest(slot.parseKey))
                    .append(" writeOps=").append(interest(slot.writeKey))
                    .append('\n');
            }
        }
        return text.toString();
    }

    private static String interest(final SelectionKey key) {
        if (key == null) {
            return "-";
        }
        return key.isValid() ? Integer.toString(key.interestOps()) : "cancelled";
    }

    /**
     * @param kind a {@link TimeoutKind} constant.
     * @return deadlines of that kind that expired, over every stage, since start.
     */
    public long expirations(final int kind) {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().expirations(kind);
        }
        return total;
    }

    /** @return requests sent again: after a reused connection failed, or to another server after a connect failed. */
    public long retries() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().retries();
        }
        return total;
    }

    /** @return client connections reset so that a truncated response could not pass for a whole one. */
    public long resets() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().resets();
        }
        return total;
    }

    /** @return origin connections with an open socket (serving or idle), over every upstream thread. */
    public int upstreamConnectionsOpen() {
        int open = 0;
        for (final UpstreamStage stage : upstreamStages) {
            open += stage.pool().open();
        }
        return open;
    }

    /** @return requests waiting for an origin connection now, over every upstream thread. */
    public int upstreamQueued() {
        int queued = 0;
        for (final UpstreamStage stage : upstreamStages) {
            queued += stage.pool().queued();
        }
        return queued;
    }

    /** @return connections answered 503 because a pool was empty (shed from the listen backlog). */
    public long rejectedConnections() {
        return stages.isEmpty() ? 0 : stages.get(0).counters().rejected();
    }

    private static AdmissionGate[] gates(final WakeSignal[] wakes, final long targetNs) {
        final AdmissionGate[] gates = new AdmissionGate[wakes.length];
        for (int i = 0; i < wakes.length; i++) {
            gates[i] = new AdmissionGate(targetNs, wakes[i]);
        }
        return gates;
    }

    /**
     * @return new connections and requests answered 503 because an admission gate was closed (any stage's), the
     *     sum of {@link #overloadedRequests(int)} over the gated stages.
     */
    public long overloadedRequests() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().overloaded() + stage.counters().overloadedByWrite();
        }
        return total;
    }

    /**
     * @param owner the gated stage's {@code ConnectionState.OWNER_*}: parse, upstream or write.
     * @return what its threads' gates refused: new connections (parse), new requests (upstream, write).
     */
    public long overloadedRequests(final int owner) {
        long total = 0;
        for (final SelectorStage stage : stages) {
            if (owner == ConnectionState.OWNER_PARSE && stage instanceof AcceptStage) {
                total += stage.counters().overloaded();
            } else if (owner == ConnectionState.OWNER_UPSTREAM && stage instanceof ParseStage) {
                total += stage.counters().overloaded();
            } else if (owner == ConnectionState.OWNER_WRITE && stage instanceof ParseStage) {
                total += stage.counters().overloadedByWrite();
            }
        }
        return total;
    }

    /**
     * @param owner the gated stage's {@code ConnectionState.OWNER_*}: parse, upstream or write.
     * @return the longest of its threads' last measured inbox queue delays, nanoseconds.
     */
    public long queueDelayNs(final int owner) {
        return longestDelayNs(gatesOf(owner));
    }

    /** @return the longest last measured inbox queue delay of any gated stage thread, nanoseconds. */
    public long queueDelayNs() {
        return Math.max(longestDelayNs(parseGates), Math.max(longestDelayNs(upstreamGates),
            longestDelayNs(writeGates)));
    }

    private static long longestDelayNs(final AdmissionGate[] gates) {
        long delay = 0;
        for (final AdmissionGate gate : gates) {
            delay = Math.max(delay, gate.lastDelayNs());
        }
        return delay;
    }

    /**
     * @param owner a gated stage's {@code ConnectionState.OWNER_*}.
     * @return its threads' admission gates, by thread; for tests.
     */
    AdmissionGate[] admissionGates(final int owner) {
        return gatesOf(owner).clone();
    }

    /**
     * @param roleName a stage thread's name, e.g. {@code weir-parse-0}.
     * @return that stage; for tests.
     */
    SelectorStage stage(final String roleName) {
        for (final SelectorStage stage : stages) {
            if (stage.roleName().equals(roleName)) {
                return stage;
            }
        }
        throw new IllegalArgumentException("no stage " + roleName);
    }

    private AdmissionGate[] gatesOf(final int owner) {
        switch (owner) {
            case ConnectionState.OWNER_PARSE:
                return parseGates;
            case ConnectionState.OWNER_UPSTREAM:
                return upstreamGates;
            case ConnectionState.OWNER_WRITE:
                return writeGates;
            default:
                throw new IllegalArgumentException("no admission gate in front of owner " + owner);
        }
    }

    /** @return idle keep-alive connections closed so their slots could seat connections waiting for one. */
    public long idleReclaimed() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().idleReclaimed();
        }
        return total;
    }

    /** @return times the accept stage stopped accepting because a slot or block pool was empty. */
    public long acceptPauses() {
        return stages.isEmpty() ? 0 : stages.get(0).counters().acceptPauses();
    }

    /** @return unexpected exceptions in any stage: bugs. */
    public long bugs() {
        long bugs = 0;
        for (final SelectorStage stage : stages) {
            bugs += stage.counters().bugs();
        }
        for (final StageRunner runner : runners) {
            bugs += runner.errors();
        }
        return bugs;
    }

    /**
     * Bytes allocated on the heap by the stage threads since they started, from the JVM's per-thread
     * accounting: the check behind "no allocation per request". Allocates its own small result arrays.
     *
     * @return total bytes, or -1 when the JVM does not measure thread allocation.
     */
    public long stageAllocatedBytes() {
        final java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean)) {
            return -1;
        }
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        if (!threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        final long[] ids = new long[runners.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = runners.get(i).threadId();
        }
        long total = 0;
        for (final long bytes : threads.getThreadAllocatedBytes(ids)) {
            total += Math.max(0, bytes);
        }
        return total;
    }

    /** @return request heads parsed by every parse stage since start. */
    public long requestsParsed() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            if (stage instanceof ParseStage) {
                total += stage.counters().requests();
            }
        }
        return total;
    }

    /** @return responses (relayed or canned) completely written to clients since start. */
    public long responsesWritten() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            // The write stage, the upstream stage when it wrote the last part through, or the parse stage
            // when it wrote a gate's 503 itself.
            total += stage.counters().responses();
        }
        return total;
    }

    /** @return halves handed from one stage to another through the inbox rings, since start. */
    public long handoffs() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().handoffs();
        }
        return total;
    }

    /** @return failures that closed a connection, over every stage, since start. */
    public long connectionErrors() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.counters().errors();
        }
        return total;
    }

    /** @return selector wakeups paid by producers to end a stage's sleep, over every stage (approximate). */
    public long wakeups() {
        long total = 0;
        for (final SelectorStage stage : stages) {
            total += stage.wake.wakeups();
        }
        return total;
    }

    /** @return what each stage thread publishes, accept first, then parse, upstream and write threads. */
    public List<StageView> stageViews() {
        return List.copyOf(stageViews);
    }

    /** @return the metrics observer of every parse, upstream and write thread; sum them for the totals. */
    public List<ExchangeMetrics> exchangeMetrics() {
        return List.copyOf(exchangeMetrics);
    }

    /** @return the grants of grown client send buffers. */
    public LargeSendBuffers largeSendBuffers() {
        return largeSendBuffers;
    }

    /**
     * The grants of grown send buffers, none where the send queue cannot be read (then a grant could not be
     * seen to come free); a host whose {@code net.core.wmem_max} caps the size is told so, once.
     */
    private static LargeSendBuffers largeSendBuffers(final WeirConfig c) {
        int count = c.largeResponseBuffersUsable();
        if (count > 0 && !TcpCalls.available()) {
            LoggerFactory.getLogger(Pipeline.class).warn("socket.large-response-buffer-count {} ignored: this"
                + " platform does not tell a socket's send queue (ioctl SIOCOUTQ), so no send buffer is grown",
                count);
            count = 0;
        }
        final long hostCap = TcpCalls.hostSendBufferCap();
        if (count > 0 && hostCap > 0 && hostCap < c.largeResponseBufferBytes()) {
            LoggerFactory.getLogger(Pipeline.class).warn("socket.large-response-buffer {} is capped by this host's"
                + " net.core.wmem_max ({} B): grown send buffers get that much; raise net.core.wmem_max to at"
                + " least {} for the full size, or set socket.large-response-buffer-count 0 to plan none",
                c.largeResponseBufferBytes(), hostCap, c.largeResponseBufferBytes());
        }
        return new LargeSendBuffers(count, c.largeResponseBufferBytes(), c.socketResponseBufferBytes());
    }

    /** @return each upstream thread's origin connection pool, in thread order (thread {@code i} owns pool i). */
    public List<UpstreamPool> upstreamPools() {
        final List<UpstreamPool> pools = new ArrayList<>();
        for (final UpstreamStage stage : upstreamStages) {
            pools.add(stage.pool());
        }
        return pools;
    }

    /**
     * Begin the drain: the accept stage closes the listening socket, the parse stages close idle connections,
     * and every exchange from now on ends with its connection closed (a response not yet begun is sent with
     * {@code Connection: close}). Wakes every stage so it acts at once; never waits for them. Any thread;
     * idempotent.
     */
    public void drain() {
        if (wiring == null || wiring.isDraining()) {
            return;
        }
        wiring.startDrain();
        for (final SelectorStage stage : stages) {
            stage.wakeUp();
        }
    }

    /** @return the parse stages, for tests in this package. */
    List<ParseStage> parseStages() {
        final List<ParseStage> parse = new ArrayList<>();
        for (final SelectorStage stage : stages) {
            if (stage instanceof ParseStage) {
                parse.add((ParseStage) stage);
            }
        }
        return parse;
    }


    /** @return {@code true} once {@link #drain()} was called. */
    public boolean isDraining() {
        return wiring != null && wiring.isDraining();
    }

    /** @return the counters of every stage, accept first. */
    public List<StageCounters> stageCounters() {
        final List<StageCounters> counters = new ArrayList<>();
        for (final SelectorStage stage : stages) {
            counters.add(stage.counters());
        }
        return counters;
    }

    /**
     * Reset every client connection whose exchange is under way: cut short (a drain that timed out, a second
     * signal, a hard stop), a client must see a reset, never a clean end that could pass a truncated response off
     * as complete. Any thread; with the stages still running it reads their slot states without synchronisation,
     * as a last act before the process ends.
     */
    public void resetOpenExchanges() {
        for (int i = 0; i < slots.capacity(); i++) {
            final ConnectionSlot slot = slots.slot(i);
            if (isMidExchange(slot)) {
                Wiring.resetQuietly(slot.client);
            }
        }
    }

    /**
     * @return {@code true} when the slot's exchange has begun and not ended: more than a head being read, a
     *         lingering close after a whole answer, or nothing at all.
     */
    private static boolean isMidExchange(final ConnectionSlot slot) {
        final int request = slot.request.state;
        return slot.response.state != ConnectionState.IDLE || request != ConnectionState.FREE
            && request != ConnectionState.READING_HEAD && request != ConnectionState.LINGERING;
    }

    /** Stop every stage thread, close every socket and release the arenas. */
    @Override
    public void close() {
        boolean stopped = true;
        for (final StageRunner runner : runners) {
            runner.close();
            stopped &= !runner.isAlive();
        }
        runners.clear();
        if (server != null) {
            try {
                server.close();
            } catch (final IOException ignored) {
                // Shutting down.
            }
        }
        if (slots != null) {
            resetOpenExchanges();
            for (int i = 0; i < slots.capacity(); i++) {
                Wiring.closeQuietly(slots.slot(i).client);
            }
        }
        if (stopped && accessLog != null) {
            // After the stages: every record they produced is written before the file closes.
            accessLog.close();
        }
        if (!stopped) {
            // A stage thread still running may touch its blocks: leak the arenas rather than free them under it.
            LoggerFactory.getLogger(Pipeline.class).error("a stage thread did not stop; arenas left allocated");
            return;
        }
        for (final Arena arena : arenas) {
            arena.close();
        }
        arenas.clear();
    }
}
