package dev.weir;

import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.weir.admin.AdminServer;
import dev.weir.arena.MemoryLock;
import dev.weir.arena.ProcessStatus;
import dev.weir.arena.plan.HostMemory;
import dev.weir.arena.plan.MemoryPlan;
import dev.weir.config.ConfigException;
import dev.weir.config.ConfigKeys;
import dev.weir.config.ConfigLoader;
import dev.weir.config.Durations;
import dev.weir.config.HostPort;
import dev.weir.config.JvmFlags;
import dev.weir.config.PlanBuilder;
import dev.weir.config.Sizes;
import dev.weir.config.StageSizes;
import dev.weir.config.UpstreamGroupConfig;
import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.log.AccessLog;
import dev.weir.log.HangUpSignal;
import dev.weir.stage.Pipeline;
import dev.weir.warmup.WarmUp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Weir command: reads the configuration, prints and checks the memory plan, starts the pipeline and runs
 * until SIGTERM or SIGINT. With an access log to a file, SIGHUP reopens it (log rotation).
 * <p>
 * Exit codes: {@value #EXIT_OK} after {@code --plan}, {@code --print-jvm-flags}, {@code --help} or a clean
 * shutdown (a drain after SIGTERM or SIGINT ends with 0 whether or not every exchange finished within
 * {@code drain-timeout}); 128 + the signal's number (143, 130) when a second signal cut the drain short;
 * {@value #EXIT_STARTUP_FAILED} when the pipeline fails to start; {@value #EXIT_BAD_CONFIG} for a bad
 * configuration or command line (one line {@code weir: <key>: <rule>} on stderr); {@value #EXIT_REFUSED} when
 * the plan does not fit the cgroup limit or {@code MemAvailable}, or, when serving, the JVM was not started
 * with the flags the plan derived or its limit on open files is below what the plan needs. All of these
 * except a failed start happen before any memory is committed. Output is plain text on stdout, errors one
 * line each on stderr.
 * <p>
 * <b>Note:</b> {@code bin/weir} runs this class twice: once with {@code --print-jvm-flags} to get the JVM flags
 * that bound the JVM to the plan (validating the configuration and checking the host on the way), then, via
 * {@code exec}, with those flags to serve.
 */
public final class Weir {

    /** Plan printed, flags printed, help shown, or a clean shutdown. */
    public static final int EXIT_OK = 0;
    /** The pipeline failed to start (e.g. the port is taken or memory could not be locked). */
    public static final int EXIT_STARTUP_FAILED = 1;
    /** A bad configuration value or command line. */
    public static final int EXIT_BAD_CONFIG = 2;
    /** The plan exceeds the cgroup limit, {@code MemAvailable} or the open-files limit, or the JVM lacks its flags. */
    public static final int EXIT_REFUSED = 3;

    private static final String VERSION = "weir 0.1.0";
    /** How long a second signal waits for its line to reach stdout before exiting anyway. */
    private static final long SECOND_SIGNAL_LINE_MS = 200;
    private static final String DEFAULT_CONFIG = "conf/weir.yaml";
    /** How often the drain checks whether every connection has gone. */
    private static final long DRAIN_POLL_MS = 10;

    /** The command line; picocli fills the fields. */
    @Command(name = "weir", mixinStandardHelpOptions = true, version = VERSION, sortOptions = false,
        description = "HTTP/1.1 reverse proxy that commits all of its memory at startup.",
        footer = {"", "Exit codes: 0 ok, 1 start failed, 2 bad configuration, 3 plan does not fit this host."})
    static final class Options {
        @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration (default: conf/weir.yaml if present, else built-in defaults).")
        private Path config;

        @Option(names = "--plan", description = "Print the memory plan and exit, committing nothing.")
        private boolean plan;

        @Option(names = "--format", paramLabel = "FORMAT",
            description = "With --plan: text (default), k8s (a resources block, requests = limits) or systemd"
                + " (MemoryMax=, LimitNOFILE= and the other [Service] lines).")
        private String format = PlanFormat.TEXT;

        @Option(names = "--print-jvm-flags", description = "Print the JVM flags derived from the plan and exit.")
        private boolean printJvmFlags;

        @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "Derive connections (and heap) to use most of SIZE, e.g. 512m, 2g (memory.budget).")
        private String memoryBudget;

        @Option(names = "--heap", paramLabel = "SIZE", description = "Java heap, e.g. 256m (jvm.heap).")
        private String heap;

        @Option(names = "--lock-memory",
            description = "Lock the whole process in RAM (mlockall) just before ready (memory.lock).")
        private boolean lockMemory;

        @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Listen address (accept.listen).")
        private String listen;

        @Option(names = "--upstream", paramLabel = "HOST:PORT", description = "Origin address (upstream.address).")
        private String upstream;

        @Option(names = "--connections", paramLabel = "N", description = "Connection slots (connections).")
        private String connections;

        @Option(names = "--client-header-timeout", paramLabel = "DURATION",
            description = "Longest a request head may take to arrive, e.g. 10s, 500ms (timeout.client-head).")
        private String clientHeaderTimeout;

        @Option(names = "--upstream-timeout", paramLabel = "DURATION",
            description = "Origin connect and response timeout, e.g. 30s (timeout.upstream-connect and"
                + " timeout.upstream-response).")
        private String upstreamTimeout;

        @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "Print a 'weir stats:' line every SECONDS (e.g. 1 or 0.5; default 0: never).")
        private double statsIntervalS;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Set any configuration key, e.g. --set parse.buffer=32k; repeatable.")
        private List<String> set = new ArrayList<>();
    }

    private Weir() {
    }

    /**
     * Run Weir and exit with its code.
     *
     * @param args the command line.
     */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Run Weir without exiting the JVM; serving blocks until SIGTERM or SIGINT.
     *
     * @param args the command line.
     * @param out  standard output: the plan, findings and ready line.
     * @param err  standard error: one line per error.
     * @return the exit code, one of the {@code EXIT_*} constants.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        return run(args, out, err, HostMemory::detect);
    }

    /**
     * As {@link #run(String[], PrintStream, PrintStream)}, with the host's figures supplied (for tests).
     *
     * @param args the command line.
     * @param out  standard output.
     * @param err  standard error.
     * @param host supplies the host's memory figures; called only when they are needed.
     * @return the exit code.
     */
    static int run(final String[] args, final PrintStream out, final PrintStream err,
        final Supplier<HostMemory> host) {
        final Options options = new Options();
        final CommandLine cli = new CommandLine(options);
        try {
            cli.parseArgs(args);
        } catch (final CommandLine.ParameterException e) {
            return fail(err, EXIT_BAD_CONFIG, oneLine(e.getMessage()));
        }
        if (cli.isUsageHelpRequested()) {
            cli.usage(out);
            return EXIT_OK;
        }
        if (cli.isVersionHelpRequested()) {
            out.println(VERSION);
            return EXIT_OK;
        }

        if (!PlanFormat.isKnown(options.format)) {
            return fail(err, EXIT_BAD_CONFIG, "--format: must be text, k8s or systemd (got '" + options.format + "')");
        }
        if (!options.plan && !PlanFormat.TEXT.equals(options.format)) {
            return fail(err, EXIT_BAD_CONFIG, "--format: goes with --plan, e.g. --plan --format k8s");
        }
        if (options.statsIntervalS < 0) {
            return fail(err, EXIT_BAD_CONFIG, "--stats-interval: must be 0 (off) or a positive number of seconds");
        }
        final Path file = configFile(options);
        final WeirConfig config;
        try {
            config = ConfigLoader.load(file, overrides(options));
        } catch (final ConfigException e) {
            return fail(err, EXIT_BAD_CONFIG, e.getMessage());
        }
        final MemoryPlan plan = PlanBuilder.build(config);
        final String source = (file == null ? "built-in defaults" : file.toString())
            + (config.memoryBudgetBytes() == 0 ? "" : ", fitted to memory.budget "
                + Sizes.format(config.memoryBudgetBytes()));

        if (options.plan) {
            printPlan(options.format, config, plan, source, out);
            return EXIT_OK;
        }
        final HostMemory memory = host.get();
        final String refusal = memory.check(plan);
        if (refusal != null) {
            return fail(err, EXIT_REFUSED, "refusing to start: " + refusal);
        }
        // Under bin/weir this is the first JVM, which commits nothing: the limits the launcher raises (soft to
        // hard) are judged by the hard ones here, so a shortfall is told before the serving JVM pre-touches its heap.
        final String lockShortfall = lockShortfall(config, options.printJvmFlags);
        if (lockShortfall != null) {
            return fail(err, EXIT_REFUSED, "refusing to start: " + lockShortfall);
        }
        if (options.printJvmFlags) {
            final String files = StartupChecks.fileLimitShortfall(
                StartupChecks.hardFileLimit(StartupChecks.PROC_LIMITS), true, StageSizes.fileDescriptorCount(config));
            if (files != null) {
                return fail(err, EXIT_REFUSED, "refusing to start: " + files);
            }
            out.println(String.join(" ", JvmFlags.of(config)));
            out.flush();
            return EXIT_OK;
        }
        out.println(VERSION + " (" + source + ")");
        for (final String line : memory.describe()) {
            out.println("host: " + line);
        }
        out.print(plan.render());
        out.println(StageSizes.fileDescriptorLine(config));
        out.flush();
        final String mismatch = StartupChecks.jvmFlagMismatch(JvmFlags.of(config),
            ManagementFactory.getRuntimeMXBean().getInputArguments(), Runtime.getRuntime().maxMemory());
        if (mismatch != null) {
            return fail(err, EXIT_REFUSED, "refusing to start: " + mismatch);
        }
        final String shortfall = StartupChecks.fileLimitShortfall(
            StartupChecks.softFileLimit(StartupChecks.PROC_LIMITS), StageSizes.fileDescriptorCount(config));
        if (shortfall != null) {
            return fail(err, EXIT_REFUSED, "refusing to start: " + shortfall);
        }
        return serve(config, plan, out, err, options.statsIntervalS);
    }

    /**
     * Run the warm-up ({@code jvm.warm-up}) and say what it did. One that fails or cannot run is said on stderr and
     * does not stop Weir (the serving pipeline is the same code, only less warm), unless a warm-up stage thread did
     * not stop: its arenas were not freed, and the plan would not hold.
     *
     * @return {@code true} to go on starting.
     */
    private static boolean warmUp(final WeirConfig config, final PrintStream out, final PrintStream err) {
        if (config.warmUpExchanges() == 0) {
            return true;
        }
        try {
            final WarmUp.Result warm = WarmUp.run(config);
            (warm.failed() == 0 ? out : err).println("weir warm-up: " + warm.describe());
            if (warm.arenasLeft()) {
                return false;
            }
        } catch (final RuntimeException e) {
            err.println("weir warm-up: not run: " + oneLine(String.valueOf(e.getMessage())));
        }
        out.flush();
        return true;
    }

    /**
     * Refuse a {@code memory.lock} that cannot last before anything is committed: without {@code CAP_IPC_LOCK}
     * any finite {@code RLIMIT_MEMLOCK} is refused (see {@link MemoryLock#processShortfall(long, boolean)}).
     *
     * @param hardLimit judge the hard limit, which {@code bin/weir} raises the soft one to, else the soft one.
     * @return the one-line refusal, or {@code null}.
     */
    private static String lockShortfall(final WeirConfig config, final boolean hardLimit) {
        if (!config.lockMemory()) {
            return null;
        }
        return MemoryLock.processShortfall(MemoryLock.memlockLimit(hardLimit), ProcessStatus.canLockWithoutLimit());
    }

    private static void printPlan(final String format, final WeirConfig config, final MemoryPlan plan,
        final String source, final PrintStream out) {
        if (PlanFormat.K8S.equals(format)) {
            out.print(PlanFormat.k8s(config, plan, source));
        } else if (PlanFormat.SYSTEMD.equals(format)) {
            out.print(PlanFormat.systemd(config, plan, source));
        } else {
            out.println("weir memory plan (" + source + ")");
            out.print(plan.render());
            out.println(StageSizes.fileDescriptorLine(config));
        }
        out.flush();
    }

    private static int serve(final WeirConfig config, final MemoryPlan plan, final PrintStream out,
        final PrintStream err, final double statsIntervalS) {
        if (!warmUp(config, out, err)) {
            return fail(err, EXIT_STARTUP_FAILED, "startup failed: a warm-up stage thread did not stop, so its arenas"
                + " are still allocated and the plan would not hold");
        }
        final Pipeline pipeline;
        try {
            pipeline = Pipeline.start(config);
        } catch (final RuntimeException e) {
            return fail(err, EXIT_STARTUP_FAILED, "startup failed: " + oneLine(String.valueOf(e.getMessage())));
        }
        AdminServer admin = null;
        if (config.adminEnabled()) {
            try {
                admin = AdminServer.start(config.adminHost(), config.adminPort(), pipeline, plan);
            } catch (final RuntimeException e) {
                pipeline.close();
                return fail(err, EXIT_STARTUP_FAILED, "startup failed: " + oneLine(String.valueOf(e.getMessage())));
            }
        }
        final AdminServer adminServer = admin;
        out.println("weir threads: " + pipeline.describeThreads());
        if (pipeline.lockFlags() != 0) {
            out.println("weir memory: process locked in RAM (mlockall " + lockFlagNames(pipeline.lockFlags()) + ")");
        }
        // Counted down by the first SIGTERM/SIGINT (drain) or by the shutdown hook (any other way out).
        final CountDownLatch wake = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(pipeline, adminServer);
            stopped.countDown();
            wake.countDown();
        }, "weir-shutdown"));
        final boolean drains = DrainSignals.install(wake::countDown, signal -> {
            pipeline.resetOpenExchanges();
            // Say so if stdout takes it, but exit even when a full pipe blocks the line.
            final Thread say = new Thread(() -> {
                out.println("weir: second signal, exiting now with " + pipeline.slotsInUse() + " connections open");
                out.flush();
            }, "weir-exit-line");
            say.setDaemon(true);
            say.start();
            try {
                say.join(SECOND_SIGNAL_LINE_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(128 + signal);
        });
        if (!drains) {
            err.println("weir: this JVM has no sun.misc.Signal: SIGTERM and SIGINT stop Weir without a drain");
            err.flush();
        }
        final AccessLog accessLog = pipeline.accessLog();
        if (accessLog != null && !ConfigKeys.ACCESS_LOG_STDOUT.equals(config.accessLogPath())
            && !HangUpSignal.install(accessLog::requestReopen)) {
            err.println("weir: SIGHUP cannot be handled in this JVM; reopen the access log with POST /access-log/reopen"
                + " on the admin listener");
        }
        final InetSocketAddress bound = pipeline.listenAddress();
        if (adminServer != null) {
            final InetSocketAddress at = adminServer.address();
            out.println("weir admin: listening on " + HostPort.format(at.getHostString(), at.getPort())
                + " (/metrics, /health, /plan)");
        }
        out.println("weir ready: listening on " + HostPort.format(bound.getHostString(), bound.getPort())
            + ", " + upstreamText(config)
            + ", plan " + MemoryPlan.human(plan.totalBytes()) + " (" + MemoryPlan.human(plan.committedBytes())
            + " committed), resident " + residentText(ProcessStatus.residentBytes()));
        out.flush();
        try {
            if (statsIntervalS > 0) {
                final long intervalMs = Math.max(1, Math.round(statsIntervalS * 1000));
                final long startNs = System.nanoTime();
                while (!wake.await(intervalMs, TimeUnit.MILLISECONDS)) {
                    out.println(statsLine(pipeline, startNs));
                    out.flush();
                }
            } else {
                wake.await();
            }
            if (stopped.getCount() > 0) {
                drain(pipeline, config.drainTimeoutMs(), stopped, out);
                stop(pipeline, adminServer);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return EXIT_OK;
    }

    /**
     * Drain: {@code /health} answers 503, the listening socket closes, idle connections close, and in-flight
     * exchanges finish (with {@code Connection: close}) until none is left or {@code drain-timeout} passes.
     * One line when it starts, one when it ends.
     */
    private static void drain(final Pipeline pipeline, final long timeoutMs, final CountDownLatch stopped,
        final PrintStream out) throws InterruptedException {
        final long startNs = System.nanoTime();
        pipeline.drain();
        out.println("weir draining: stopped accepting, closing idle connections; " + pipeline.slotsInUse()
            + " connections open, waiting up to " + Durations.format(timeoutMs) + " (drain-timeout)");
        out.flush();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (pipeline.slotsInUse() > 0 && deadlineNs - System.nanoTime() > 0) {
            if (stopped.await(DRAIN_POLL_MS, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
        final int open = pipeline.slotsInUse();
        out.println("weir drained: " + (open == 0 ? "every exchange finished" : open + " exchanges still open, cut")
            + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms; stopping");
        out.flush();
    }

    private static void stop(final Pipeline pipeline, final AdminServer admin) {
        if (admin != null) {
            admin.close();
        }
        pipeline.close();
    }

    private static String residentText(final long bytes) {
        return bytes < 0 ? "unknown" : MemoryPlan.human(bytes);
    }

    private static String lockFlagNames(final int flags) {
        final StringBuilder names = new StringBuilder();
        if ((flags & MemoryLock.MCL_CURRENT) != 0) {
            names.append("MCL_CURRENT");
        }
        if ((flags & MemoryLock.MCL_FUTURE) != 0) {
            names.append(names.length() == 0 ? "" : "|").append("MCL_FUTURE");
        }
        if ((flags & MemoryLock.MCL_ONFAULT) != 0) {
            names.append(names.length() == 0 ? "" : "|").append("MCL_ONFAULT");
        }
        return names.toString();
    }

    /**
     * @param config the configuration.
     * @return {@code upstream HOST:PORT} for the one-group shorthand, else each group with its server count.
     */
    static String upstreamText(final WeirConfig config) {
        if (!config.hasUpstreamsSection()) {
            return "upstream " + HostPort.format(config.upstreamHost(), config.upstreamPort());
        }
        final StringBuilder text = new StringBuilder("upstreams");
        for (final UpstreamGroupConfig group : config.upstreamGroups()) {
            text.append(text.length() == "upstreams".length() ? " " : ", ").append(group.name()).append(" (")
                .append(group.servers().size()).append(group.servers().size() == 1 ? " server" : " servers")
                .append(group.isDefault() ? ", default)" : ")");
        }
        return text.toString();
    }

    /**
     * One line of counters, built on the calling (main) thread, never on a stage thread: stage counters are
     * read without synchronisation, so a line may lag the stages by a few requests.
     * <pre>
     * weir stats: uptime_ms=N requests=N responses=N errors=N rejected=N accept_pauses=N idle_reclaimed=N
     *             overloaded=N queue_delay_us=N wakeups=N stage_allocated_bytes=N gc_count=N gc_time_ms=N
     *             slots_in_use=N ... handoffs=N ... rss_kib=N hwm_kib=N
     * </pre>
     * {@code stage_allocated_bytes} is what the stage threads allocated on the heap since start (-1 when the JVM
     * cannot tell); {@code gc_count} and {@code gc_time_ms} add up every collector since the JVM started;
     * {@code rss_kib} and {@code hwm_kib} are the resident set now and its peak ({@code VmRSS}, {@code VmHWM}; -1
     * when unknown), so growth after "ready" shows.
     *
     * @param pipeline the running pipeline.
     * @param startNs  {@link System#nanoTime()} at ready.
     * @return the line, without a newline.
     */
    static String statsLine(final Pipeline pipeline, final long startNs) {
        long gcCount = 0;
        long gcTimeMs = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcTimeMs += Math.max(0, gc.getCollectionTime());
        }
        final StringBuilder line = new StringBuilder(256);
        line.append(String.format(Locale.ROOT, "weir stats: uptime_ms=%d requests=%d responses=%d errors=%d rejected=%d"
            + " accept_pauses=%d idle_reclaimed=%d overloaded=%d queue_delay_us=%d wakeups=%d stage_allocated_bytes=%d"
            + " gc_count=%d gc_time_ms=%d slots_in_use=%d origin_open=%d origin_busy=%d origin_queued=%d retries=%d"
            + " resets=%d handoffs=%d",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), pipeline.requestsParsed(),
            pipeline.responsesWritten(), pipeline.connectionErrors(), pipeline.rejectedConnections(),
            pipeline.acceptPauses(), pipeline.idleReclaimed(), pipeline.overloadedRequests(),
            TimeUnit.NANOSECONDS.toMicros(pipeline.queueDelayNs()), pipeline.wakeups(),
            pipeline.stageAllocatedBytes(), gcCount, gcTimeMs, pipeline.slotsInUse(),
            pipeline.upstreamConnectionsOpen(), pipeline.upstreamConnectionsBusy(), pipeline.upstreamQueued(),
            pipeline.retries(), pipeline.resets(), pipeline.handoffs()));
        final AccessLog accessLog = pipeline.accessLog();
        if (accessLog != null) {
            line.append(" access_log_records=").append(accessLog.records())
                .append(" access_log_written=").append(accessLog.written())
                .append(" access_log_dropped=").append(accessLog.dropped())
                .append(" access_log_lost=").append(accessLog.lost());
        }
        for (int kind = 0; kind < TimeoutKind.COUNT; kind++) {
            line.append(" timeout_").append(TimeoutKind.name(kind)).append('=').append(pipeline.expirations(kind));
        }
        final ProcessStatus.Resident resident = ProcessStatus.resident();
        line.append(" rss_kib=").append(kib(resident.currentBytes()))
            .append(" hwm_kib=").append(kib(resident.peakBytes()));
        return line.toString();
    }

    private static long kib(final long bytes) {
        return bytes < 0 ? -1 : bytes >> 10;
    }

    private static Path configFile(final Options options) {
        if (options.config != null) {
            return options.config;
        }
        final Path local = Paths.get(DEFAULT_CONFIG);
        if (Files.isRegularFile(local)) {
            return local;
        }
        final String home = System.getProperty("weir.home");
        if (home != null && Files.isRegularFile(Paths.get(home, DEFAULT_CONFIG))) {
            return Paths.get(home, DEFAULT_CONFIG);
        }
        return null;
    }

    private static Map<String, String> overrides(final Options options) {
        final Map<String, String> overrides = new LinkedHashMap<>();
        for (final String assignment : options.set) {
            final int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set", "must be KEY=VALUE, e.g. --set parse.buffer=32k (got '"
                    + assignment + "')");
            }
            overrides.put(assignment.substring(0, eq).trim(), assignment.substring(eq + 1));
        }
        putIfGiven(overrides, "accept.listen", options.listen);
        putIfGiven(overrides, "upstream.address", options.upstream);
        putIfGiven(overrides, "connections", options.connections);
        putIfGiven(overrides, "jvm.heap", options.heap);
        putIfGiven(overrides, "memory.budget", options.memoryBudget);
        putIfGiven(overrides, "timeout.client-head", options.clientHeaderTimeout);
        putIfGiven(overrides, "timeout.upstream-connect", options.upstreamTimeout);
        putIfGiven(overrides, "timeout.upstream-response", options.upstreamTimeout);
        if (options.lockMemory) {
            overrides.put("memory.lock", "true");
        }
        return overrides;
    }

    private static void putIfGiven(final Map<String, String> overrides, final String key, final String value) {
        if (value != null) {
            overrides.put(key, value);
        }
    }

    private static int fail(final PrintStream err, final int code, final String message) {
        err.println("weir: " + message);
        err.flush();
        return code;
    }

    private static String oneLine(final String text) {
        final int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }
}
