package dev.weir.config;

import dev.weir.log.AccessLog;

/**
 * The sizes the pipeline commits and the plan counts, computed in this one place from a {@link WeirConfig}, so
 * that the memory plan and the running pipeline use the very same numbers.
 * <p>
 * <pre>
 *   arena accept   = 4 KiB                               canned 503 for a full slot table, drain for its close
 *   arena parse    = connections x parse.buffer          the block holds the whole head, so
 *                                                        parse.max-request-line <= parse.buffer (validated)
 *   arena upstream = connections x upstream.buffer
 *   arena write    = 16 KiB                              canned responses (400, 431, 502, ...)
 *   ring-size      = 0: smallest power of two at least 2 x connections (both halves of a slot may be queued)
 *   rings          = (parse + upstream + write threads + 1) x ring-size x 32 B      in the heap
 *   slot           = 2 KiB + parse.max-headers x 48 B   the request head's field tables grow with the limit
 *   slot table     = connections x slot                                             in the heap
 *   heap needed    = 32 MiB baseline + rings + slot table
 *   stage threads  = 1 + parse + upstream + write threads, less parse threads with fuse-parse-upstream
 *   thread stacks  = (stage threads + 11 admin threads when admin.listen is set + 16 JVM threads) x jvm.thread-stack
 *   stacks touched = (stage + log threads) x jvm.stack-pretouch      committed, part of the thread stacks
 *   origin sockets = upstream.max-connections, or connections when it is 0 (one per slot)
 *   check sockets  = servers of groups with health.path (one active-check socket each)
 *   sockets        = connections + origin sockets + check sockets + 1 listening socket
 *   client socket  = 2 x socket.receive-buffer  + 2 x socket.response-buffer + 4 KiB   (rcv: request, snd: response)
 *   origin socket  = 2 x socket.response-buffer + 2 x socket.send-buffer     + 4 KiB   (rcv: response, snd: request)
 *   other socket   = 2 x socket.receive-buffer  + 2 x socket.send-buffer     + 4 KiB   (health checks, listener)
 *   large send     = min(socket.large-response-buffer-count, connections)           client sockets grown at once
 *                    x 2 x (socket.large-response-buffer - socket.response-buffer)
 *   descriptors    = sockets + 4 x stage threads (selectors, wake pipes) + 2 x fused threads (upstream's wake pipe)
 *                    + 256 (the JVM's own: jars, libraries, pipes) + 1 access log file
 *   arena log      = 0 when access-log.path is none, else                           only when the log is on
 *                    access-log.records x record slot + 768 B ring trailer     (record slot: the largest record
 *                    + connections x capture region                              and its 8 B header, rounded up
 *                    + output buffer (64 KiB, or two of the longest lines)      to a power of two)
 *   log thread     = 1 more thread stack when the log is on
 * </pre>
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class StageSizes {

    /**
     * Each stage thread's own region in its stage's arena: canned responses, the {@code 100 Continue} bytes,
     * scratch for reading idle origin sockets.
     */
    public static final long STAGE_SCRATCH_BYTES = 4 * 1024;
    /** One ring entry in the heap: a small mutable event object (~24 B) plus its reference in the array. */
    public static final long RING_ENTRY_BYTES = 24 + 8;
    /**
     * One connection slot's object graph in the heap besides the request head's field tables (state machine,
     * buffer views, chunk scanners), rounded up from the measured ~1.3 KiB ({@code jmap -histo:live}, 1024 vs
     * 16384 slots, 3.3 KiB with the five {@code int[100]} field tables of the time): the two Chronicle and NIO
     * buffer views with their cleaners take about 0.8 KiB.
     */
    public static final long SLOT_BASE_HEAP_BYTES = 2 * 1024;
    /**
     * The request head's tables per field of {@code parse.max-headers}: one row of seven {@code int}s (28 B:
     * offsets, lengths, id, name-hash chain, mark) and up to four buckets' worth of the hash table (16 B, a
     * power of two at least twice the fields), rounded up for array headers.
     */
    public static final long HEAD_HEAP_BYTES_PER_FIELD = 48;
    /** Heap for everything else: loaded configuration, startup garbage, JDK and library objects. */
    public static final long HEAP_BASELINE_BYTES = 32L * 1024 * 1024;
    /** The JDK's own {@code Integer} cache reaches 127. */
    static final long DEFAULT_INTEGER_CACHE_MAX = 127;
    /** A cached {@code Integer}: a 16 B object and its 4 B (compressed) reference in the cache array. */
    static final long INTEGER_CACHE_BYTES_PER_VALUE = 20;
    /**
     * Java threads besides the stages, each with a {@code -Xss} stack: main, Reference Handler, Finalizer,
     * Signal Dispatcher, Common-Cleaner, Notification Thread, Attach Listener, the shutdown hook, and room for
     * library threads (Chronicle's cleaner, JMX) and compiler threads that a small machine may add.
     */
    public static final int JVM_THREAD_ALLOWANCE = 16;
    /**
     * Admin connections open at once, and so the admin listener's handler threads: one each, so a peer that sends
     * half a request holds only its own thread, never a probe or a scrape on another connection. Scrapers and
     * probes are few.
     */
    public static final int ADMIN_CONNECTIONS = 8;
    /**
     * Threads of the admin listener when it is on: its accept thread, its deadline watchdog, and a handler thread
     * ({@code weir-admin-N}) per admin connection.
     */
    public static final int ADMIN_THREADS = 2 + ADMIN_CONNECTIONS;
    /**
     * Kernel memory per socket besides its buffers: the TCP socket itself (about 2.3 KiB of slab), its inode,
     * file and dentry, and an epoll entry; rounded up to a page.
     */
    public static final long SOCKET_OVERHEAD_BYTES = 4 * 1024;
    /** Sockets that are neither client nor upstream connections: the listening socket. */
    public static final int LISTENING_SOCKETS = 1;

    /**
     * File descriptors per stage thread besides sockets: its selector's epoll descriptor and wakeup, and the
     * two ends of the pipe producers wake it through ({@code WakeSignal}).
     */
    public static final int SELECTOR_FDS_PER_STAGE_THREAD = 4;
    /** File descriptors a fused thread adds: the upstream stage's own wake pipe, both ends, in the shared selector. */
    public static final int WAKE_PIPE_FDS = 2;
    /** File descriptors the JVM itself holds: jars on the classpath, native libraries, std streams, pipes. */
    public static final int JVM_FD_HEADROOM = 256;

    private StageSizes() {
    }

    /**
     * @param config the configuration.
     * @return bytes of the accept stage's arena.
     */
    public static long acceptArenaBytes(final WeirConfig config) {
        return STAGE_SCRATCH_BYTES;
    }

    /**
     * @param config the configuration.
     * @return bytes of the parse stage's arena: one request buffer per connection slot.
     */
    public static long parseArenaBytes(final WeirConfig config) {
        return (long) config.connections() * config.parseBufferBytes() + config.parseThreads() * STAGE_SCRATCH_BYTES;
    }

    /**
     * @param config the configuration.
     * @return bytes of the upstream stage's arena: one response buffer per connection slot.
     */
    public static long upstreamArenaBytes(final WeirConfig config) {
        return (long) config.connections() * config.upstreamBufferBytes()
            + config.upstreamThreads() * STAGE_SCRATCH_BYTES;
    }

    /**
     * @param config the configuration.
     * @return bytes of the write stage's arena.
     */
    public static long writeArenaBytes(final WeirConfig config) {
        return config.writeThreads() * STAGE_SCRATCH_BYTES;
    }

    /**
     * @param config the configuration.
     * @return bytes of the access log's arena (ring, capture regions, output buffer); 0 when the log is off.
     */
    public static long logArenaBytes(final WeirConfig config) {
        return AccessLog.arenaBytes(config);
    }

    /**
     * @param config the configuration.
     * @return threads besides the stages that Weir starts: the access log's, when it is on.
     */
    public static int logThreads(final WeirConfig config) {
        return config.accessLogOn() ? 1 : 0;
    }

    /**
     * @param config the configuration.
     * @return threads of the four stages: one accept thread plus the parse, upstream and write threads, each
     *     fused parse and upstream pair counted once.
     */
    public static int stageThreads(final WeirConfig config) {
        return 1 + config.parseThreads() + config.upstreamThreads() + config.writeThreads() - fusedThreads(config);
    }

    /**
     * @param config the configuration.
     * @return threads that run a parse and an upstream stage together: parse.threads with
     *     {@code fuse-parse-upstream}, else 0.
     */
    public static int fusedThreads(final WeirConfig config) {
        return config.fuseParseUpstream() ? config.parseThreads() : 0;
    }

    /**
     * @param config the configuration.
     * @return rings: one inbox per parse, upstream and write thread, plus the slot-return ring.
     */
    public static int ringCount(final WeirConfig config) {
        return config.parseThreads() + config.upstreamThreads() + config.writeThreads() + 1;
    }

    /**
     * @param config the configuration.
     * @return heap bytes of all ring entries.
     */
    public static long ringsHeapBytes(final WeirConfig config) {
        return ringCount(config) * (long) config.ringSize() * RING_ENTRY_BYTES;
    }

    /**
     * @param config the configuration.
     * @return heap bytes of the connection slot table.
     */
    public static long slotTableHeapBytes(final WeirConfig config) {
        return config.connections() * slotHeapBytes(config);
    }

    /**
     * @param config the configuration.
     * @return heap bytes of one connection slot: {@link #SLOT_BASE_HEAP_BYTES} plus the request head's tables.
     */
    public static long slotHeapBytes(final WeirConfig config) {
        return SLOT_BASE_HEAP_BYTES + config.maxHeaders() * HEAD_HEAP_BYTES_PER_FIELD;
    }

    /**
     * The JVM rounds {@code -Xms} and {@code -Xmx} up to its heap alignment, 2 MiB on x86-64 and on aarch64 with
     * 4 KiB pages (the large page size), with or without transparent huge pages: a 41m heap is 42 MiB.
     */
    public static final long HEAP_ALIGNMENT_BYTES = 2 * Sizes.MIB;

    /**
     * @param config the configuration.
     * @return the heap the JVM commits for {@code jvm.heap}: rounded up to {@link #HEAP_ALIGNMENT_BYTES}, so the
     *     flags ask for what the plan counts.
     */
    public static long committedHeapBytes(final WeirConfig config) {
        return (config.heapBytes() + HEAP_ALIGNMENT_BYTES - 1) / HEAP_ALIGNMENT_BYTES * HEAP_ALIGNMENT_BYTES;
    }

    /**
     * @param config the configuration.
     * @return the smallest heap for this configuration: baseline, rings, slot table and the boxed descriptors.
     */
    public static long heapRequiredBytes(final WeirConfig config) {
        return HEAP_BASELINE_BYTES + ringsHeapBytes(config) + slotTableHeapBytes(config)
            + integerCacheHeapBytes(config);
    }

    /**
     * The highest value {@code Integer.valueOf} keeps ready-made ({@code -XX:AutoBoxCacheMax}): every descriptor
     * the plan allows. The JDK's epoll selector looks up each ready descriptor in a map keyed by {@code Integer},
     * which boxes descriptors above 127 (the default cache) on every event: 16 B per ready socket on the stage
     * threads, measured as 3-7 B per request under {@code bench/run}. Descriptors are numbered from the lowest
     * free, so none exceeds the count the soft {@code RLIMIT_NOFILE} is checked against.
     *
     * @param config the configuration.
     * @return the value for {@code -XX:AutoBoxCacheMax}.
     */
    public static long integerCacheMax(final WeirConfig config) {
        return Math.max(DEFAULT_INTEGER_CACHE_MAX, fileDescriptorCount(config));
    }

    /**
     * @param config the configuration.
     * @return heap bytes of the {@code Integer} objects and references {@link #integerCacheMax} adds.
     */
    public static long integerCacheHeapBytes(final WeirConfig config) {
        return (integerCacheMax(config) - DEFAULT_INTEGER_CACHE_MAX) * INTEGER_CACHE_BYTES_PER_VALUE;
    }

    /**
     * @param config the configuration.
     * @return Java threads the plan counts stacks for: the stages, the access log's and the admin listener's
     *     when they are on, and {@value #JVM_THREAD_ALLOWANCE}.
     */
    public static int plannedThreads(final WeirConfig config) {
        return stageThreads(config) + logThreads(config) + adminThreads(config) + JVM_THREAD_ALLOWANCE;
    }

    /**
     * @param config the configuration.
     * @return {@value #ADMIN_THREADS} when {@code admin.listen} is set, else 0.
     */
    public static int adminThreads(final WeirConfig config) {
        return config.adminEnabled() ? ADMIN_THREADS : 0;
    }

    /**
     * @param config the configuration.
     * @return stack bytes committed before "ready": {@code jvm.stack-pretouch} on each stage thread and the access
     *     log's; part of {@link #threadStacksBytes}.
     */
    public static long pretouchedStackBytes(final WeirConfig config) {
        return (long) (stageThreads(config) + logThreads(config)) * config.stackPretouchBytes();
    }

    /**
     * @param config the configuration.
     * @return the cap on thread stack bytes.
     */
    public static long threadStacksBytes(final WeirConfig config) {
        return plannedThreads(config) * config.threadStackBytes();
    }

    /**
     * Every slot may hold its own origin connection while the pool keeps idle ones open, so the origin side
     * counts {@link WeirConfig#upstreamConnections()}: {@code upstream.max-connections}, or {@code connections}
     * when that is 0.
     *
     * @param config the configuration.
     * @return sockets open at most: client connections, origin connections, one active health-check socket per
     *     checked server and the listening socket.
     */
    public static long socketCount(final WeirConfig config) {
        return (long) config.connections() + config.upstreamConnections() + config.healthCheckedServerCount()
            + LISTENING_SOCKETS;
    }

    /**
     * Origin connections owned by one upstream thread: one per slot it serves (slot index modulo the thread
     * count), or its share of {@code upstream.max-connections} when that is smaller. The threads' counts add up
     * to at most {@link WeirConfig#upstreamConnections()}, the figure {@link #socketCount} plans for.
     *
     * @param config the configuration.
     * @param thread the upstream thread's number, from 0.
     * @return connections in that thread's pool.
     */
    public static int originConnectionsOfThread(final WeirConfig config, final int thread) {
        final int threads = config.upstreamThreads();
        final int slotsOfThread = (config.connections() - thread + threads - 1) / threads;
        final int max = config.upstreamMaxConnections();
        if (max == 0) {
            return slotsOfThread;
        }
        return Math.min(slotsOfThread, max / threads + (thread < max % threads ? 1 : 0));
    }

    /**
     * @param config the configuration.
     * @return file descriptors the process needs at most: every socket, the stage threads' selectors and wake
     *     pipes, {@value #JVM_FD_HEADROOM} for the JVM; the soft {@code RLIMIT_NOFILE} must be at least this.
     */
    public static long fileDescriptorCount(final WeirConfig config) {
        return socketCount(config) + (long) selectorFds(config) + JVM_FD_HEADROOM + logThreads(config);
    }

    private static int selectorFds(final WeirConfig config) {
        return SELECTOR_FDS_PER_STAGE_THREAD * stageThreads(config) + WAKE_PIPE_FDS * fusedThreads(config);
    }

    /**
     * @param config the configuration.
     * @return one line for the plan output: the descriptor count and how it is made up.
     */
    public static String fileDescriptorLine(final WeirConfig config) {
        return "file descriptors: " + fileDescriptorCount(config) + " = " + socketCount(config) + " sockets + "
            + selectorFds(config) + " for the selectors and wake pipes of " + stageThreads(config)
            + " stage threads + " + JVM_FD_HEADROOM + " for the JVM" + (config.accessLogOn() ? " + 1 access log" : "")
            + "; the soft RLIMIT_NOFILE must be at least this";
    }

    /**
     * Kernel memory one client socket may hold: it receives requests and sends responses. Linux doubles the
     * {@code SO_RCVBUF}/{@code SO_SNDBUF} value it is given (socket(7): "to allow space for bookkeeping
     * overhead") and charges queued data by its true size against that doubled limit; this adds the socket's own
     * structures.
     *
     * @param config the configuration.
     * @return bytes per client socket at most.
     */
    public static long kernelBytesPerClientSocket(final WeirConfig config) {
        return 2L * config.socketReceiveBufferBytes() + 2L * config.socketResponseBufferBytes()
            + SOCKET_OVERHEAD_BYTES;
    }

    /**
     * @param config the configuration.
     * @return bytes per origin socket at most: it receives responses and sends requests.
     */
    public static long kernelBytesPerOriginSocket(final WeirConfig config) {
        return 2L * config.socketResponseBufferBytes() + 2L * config.socketSendBufferBytes() + SOCKET_OVERHEAD_BYTES;
    }

    /**
     * @param config the configuration.
     * @return bytes per health-check or listening socket at most: the request path's sizes both ways.
     */
    public static long kernelBytesPerOtherSocket(final WeirConfig config) {
        return 2L * config.socketReceiveBufferBytes() + 2L * config.socketSendBufferBytes() + SOCKET_OVERHEAD_BYTES;
    }

    /**
     * @param config the configuration.
     * @return health-check and listening sockets.
     */
    public static long otherSocketCount(final WeirConfig config) {
        return (long) config.healthCheckedServerCount() + LISTENING_SOCKETS;
    }

    /**
     * @param config the configuration.
     * @return what the client sockets that may hold a grown send buffer at once add over their planned
     *     {@code socket.response-buffer}, doubled by Linux as that one is.
     */
    public static long largeSendBufferBytes(final WeirConfig config) {
        return config.largeResponseBuffersUsable() * 2L
            * (config.largeResponseBufferBytes() - (long) config.socketResponseBufferBytes());
    }

    /**
     * @param config the configuration.
     * @return kernel memory of every socket at most, charged to the process's cgroup.
     */
    public static long socketKernelBytes(final WeirConfig config) {
        return config.connections() * kernelBytesPerClientSocket(config)
            + config.upstreamConnections() * kernelBytesPerOriginSocket(config)
            + otherSocketCount(config) * kernelBytesPerOtherSocket(config);
    }
}
