package dev.weir.bench.harness;

import dev.weir.bench.origin.DemoOrigin;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The comparison harness behind {@code bench/run}: direct vs Weir vs nginx vs HAProxy in several scenarios, a
 * sweep of one Weir configuration key, or the overload curve ({@link Overload}); prints a table and writes JSON
 * and a PNG plot to the results directory.
 * <p>
 * Options: {@code --quick | --full | --tiny}, {@code --targets direct,weir,nginx,haproxy},
 * {@code --scenarios get128,get16k,get1m,post16k,one} (see {@link Scenario}), {@code --sizes 128,16384} (GET
 * scenarios), {@code --overload}, {@code --points 10,100,...}, {@code --cores 1|2},
 * {@code --rounds N}, {@code --duration S}, {@code --warmup S},
 * {@code --connections N}, {@code --loadgen auto|wrk|builtin}, {@code --rate R} (a fixed total rate in requests/s,
 * with the builtin generator), {@code --origin process|inproc},
 * {@code --sweep KEY=v1,v2,...}, {@code --sweep-style flags|yaml}, {@code --weir PATH},
 * {@code --baseline PATH} (another checkout's {@code bin/weir}, measured as target {@code weir-baseline}),
 * {@code --repo DIR}, {@code --results DIR}, {@code --no-pin}.
 * <p>
 * <b>Note:</b> single-threaded; {@link #run} returns an exit code instead of exiting, for tests.
 */
public final class Compare {

    /** The demo origin's heap: 256 MiB for the comparison, 128 MiB plus 256 KiB per connection beyond. */
    private static final int ORIGIN_MIN_HEAP_MIB = 256;
    private static final int ORIGIN_BASE_HEAP_MIB = 128;
    private static final int ORIGIN_CONNECTIONS_PER_MIB = 4;
    private static final String NGINX_PACKAGE = "nginx-light";
    private static final String HAPROXY_PACKAGE = "haproxy";
    private static final String WRK_PACKAGE = "wrk";
    /** How long after its last window the harness waits before counting the access log's lines. */
    private static final long ACCESS_LOG_SETTLE_MS = 1_000;

    /** The overload curve's offered connections, as asked: 10 to 10 000. */
    static final List<Integer> OVERLOAD_POINTS = List.of(10, 50, 100, 500, 1000, 2000, 5000, 10000);
    static final List<Integer> OVERLOAD_POINTS_QUICK = List.of(10, 100, 1000, 10000);
    static final List<Integer> OVERLOAD_POINTS_TINY = List.of(2, 4);
    /** wrk's {@code --timeout} in the comparison, where nothing should come near it. */
    private static final int COMPARE_TIMEOUT_S = 5;
    /** wrk's {@code --timeout} on the overload curve: a request waiting longer than this counts as lost. */
    static final int OVERLOAD_TIMEOUT_S = 2;

    private final PrintStream out;
    private List<String> targets;
    private List<Scenario> scenarios;
    private String mode = "full";
    private int rounds = -1;
    private int durationS = -1;
    private int warmupS = -1;
    private int connections = 50;
    private String loadgen = "auto";
    /** {@code --rate}: a fixed total rate in requests/s (builtin generator), or 0 for a closed loop. */
    private double rate;
    private String originMode = "process";
    private int originThreads = -1;
    private int cores = 1;
    private boolean overload;
    private List<Integer> points;
    private String sweepKey;
    private List<String> sweepValues = List.of();
    private boolean sweepYaml;
    private boolean pin = true;
    private Path repo = Path.of("").toAbsolutePath();
    private Path weir;
    private Path baseline;
    private Path results;

    Compare(final PrintStream out) {
        this.out = out;
    }

    /**
     * Runs from the command line.
     *
     * @param args options, see the class comment.
     * @throws Exception on failure.
     */
    public static void main(final String[] args) throws Exception {
        System.exit(run(args, new PrintStream(System.out, true, StandardCharsets.UTF_8)));
    }

    /**
     * Runs a comparison or sweep.
     *
     * @param args options, see the class comment.
     * @param out  where the progress and the table go.
     * @return 0 on success, 2 on bad options, 1 when nothing could be measured.
     * @throws Exception on I/O failure.
     */
    public static int run(final String[] args, final PrintStream out) throws Exception {
        System.setProperty("java.awt.headless", "true");
        final Compare c = new Compare(out);
        try {
            c.parse(args);
        } catch (final IllegalArgumentException e) {
            out.println("error: " + e.getMessage());
            return 2;
        }
        return c.execute(args);
    }

    /**
     * Reads the options into this harness.
     *
     * @param args options, see the class comment.
     * @throws IllegalArgumentException naming the bad option.
     */
    void parse(final String[] args) {
        for (final String a : args) {
            profile(a);
        }
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            switch (a) {
                case "--quick":
                case "--full":
                case "--tiny":
                case "--no-pin":
                    pin &= !"--no-pin".equals(a);
                    break;
                case "--targets":
                    targets = new ArrayList<>();
                    for (final String t : value(args, ++i).split(",")) {
                        targets.add(t.trim());
                    }
                    break;
                case "--sizes":
                    scenarios = new ArrayList<>();
                    for (final String s : value(args, ++i).split(",")) {
                        scenarios.add(Scenario.get(Integer.parseInt(s.trim())));
                    }
                    break;
                case "--scenarios":
                    scenarios = Scenario.parseList(value(args, ++i));
                    break;
                case "--cores":
                    cores = Integer.parseInt(value(args, ++i));
                    if (cores != 1 && cores != 2) {
                        throw new IllegalArgumentException("--cores must be 1 or 2: " + cores);
                    }
                    break;
                case "--overload":
                    overload = true;
                    break;
                case "--points":
                    points = new ArrayList<>();
                    for (final String s : value(args, ++i).split(",")) {
                        points.add(Integer.parseInt(s.trim()));
                    }
                    break;
                case "--rounds":
                    rounds = Integer.parseInt(value(args, ++i));
                    break;
                case "--duration":
                    durationS = Integer.parseInt(value(args, ++i));
                    break;
                case "--warmup":
                    warmupS = Integer.parseInt(value(args, ++i));
                    break;
                case "--connections":
                    connections = Integer.parseInt(value(args, ++i));
                    break;
                case "--loadgen":
                    loadgen = value(args, ++i);
                    break;
                case "--rate":
                    rate = Double.parseDouble(value(args, ++i));
                    break;
                case "--origin":
                    originMode = value(args, ++i);
                    break;
                case "--origin-threads":
                    originThreads = Integer.parseInt(value(args, ++i));
                    break;
                case "--sweep":
                    final String sweep = value(args, ++i);
                    final int eq = sweep.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--sweep needs KEY=v1,v2,...: " + sweep);
                    }
                    sweepKey = sweep.substring(0, eq);
                    sweepValues = Arrays.asList(sweep.substring(eq + 1).split(","));
                    break;
                case "--sweep-style":
                    sweepYaml = "yaml".equals(value(args, ++i));
                    break;
                case "--weir":
                    weir = Path.of(value(args, ++i)).toAbsolutePath();
                    break;
                case "--baseline":
                    baseline = Path.of(value(args, ++i)).toAbsolutePath().normalize();
                    break;
                case "--repo":
                    repo = Path.of(value(args, ++i)).toAbsolutePath();
                    break;
                case "--results":
                    results = Path.of(value(args, ++i)).toAbsolutePath();
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        defaults();
        if (rounds < 1 || durationS < 1 || warmupS < 0 || connections < 1 || originThreads < 1) {
            throw new IllegalArgumentException("rounds, duration, connections and origin threads must be at least 1");
        }
        if (points.isEmpty() || points.stream().anyMatch(p -> p < 1)) {
            throw new IllegalArgumentException("--points needs connection counts of at least 1");
        }
        if (overload && sweepKey != null) {
            throw new IllegalArgumentException("--overload does not combine with --sweep");
        }
        if (rate < 0 || rate > 0 && (overload || "wrk".equals(loadgen))) {
            throw new IllegalArgumentException("--rate needs a positive rate and the builtin load generator (wrk "
                + "keeps a closed loop; the overload curve is one by design): --loadgen builtin or auto");
        }
        weir = weir != null ? weir : repo.resolve("bin/weir");
        targets = withBaseline(targets);
        results = results != null ? results : repo.resolve("bench/results");
    }

    /**
     * @return the targets with {@code weir-baseline} added right after {@code weir} (so the two builds are measured
     *         back to back in every round) when {@code --baseline} is given and the list does not name it.
     */
    private List<String> withBaseline(final List<String> names) {
        if (baseline == null) {
            if (names.contains(Targets.WEIR_BASELINE)) {
                throw new IllegalArgumentException("target " + Targets.WEIR_BASELINE + " needs --baseline PATH");
            }
            return names;
        }
        if (sweepKey != null) {
            throw new IllegalArgumentException("--baseline does not combine with --sweep");
        }
        if (names.contains(Targets.WEIR_BASELINE)) {
            return names;
        }
        final List<String> with = new ArrayList<>(names);
        final int weirAt = with.indexOf("weir");
        with.add(weirAt < 0 ? with.size() : weirAt + 1, Targets.WEIR_BASELINE);
        return with;
    }

    private void profile(final String a) {
        if ("--quick".equals(a)) {
            mode = "quick";
        } else if ("--tiny".equals(a)) {
            mode = "tiny";
            connections = 4;
        }
    }

    /**
     * Fills what the options left open from the mode ({@code full}, {@code quick}, {@code tiny}), the curve and
     * the cores. The comparison: full 5 rounds x 5 s after 2 s of warm-up per target and scenario (about 12 min
     * with the five default targets and scenarios), quick 3 x 1 s after 1 s per target on its first scenario
     * only (under 2 min), tiny 1 x 1 s. The curve: full 5 s windows after 2 s, quick 3 s after 1 s on four
     * points, tiny 1 s on two.
     */
    private void defaults() {
        final boolean quick = "quick".equals(mode);
        final boolean tiny = "tiny".equals(mode);
        if (rounds < 0) {
            rounds = tiny || overload ? 1 : quick ? 3 : 5;
        }
        if (durationS < 0) {
            durationS = tiny ? 1 : quick ? (overload ? 3 : 1) : 5;
        }
        if (warmupS < 0) {
            warmupS = tiny ? 0 : quick ? 1 : 2;
        }
        if (scenarios == null) {
            scenarios = tiny ? List.of(Scenario.get(128)) : Scenario.parseList(Scenario.DEFAULT_NAMES);
        }
        if (points == null) {
            points = tiny ? OVERLOAD_POINTS_TINY : quick ? OVERLOAD_POINTS_QUICK : OVERLOAD_POINTS;
        }
        if (originThreads < 0) {
            originThreads = cores;
        }
        if (targets == null) {
            final List<String> t = new ArrayList<>();
            if (!overload) {
                t.add("direct");
            }
            t.add("weir");
            if (cores == 2) {
                t.add(Targets.WEIR_REUSEPORT);
            } else if (!overload) {
                t.add(Targets.WEIR_LOG);
            }
            t.addAll(List.of("nginx", "haproxy"));
            targets = t;
        }
    }

    /** @return the scenarios a comparison measures, in order. */
    List<Scenario> scenarios() {
        return scenarios;
    }

    /** @return the targets, in measuring order. */
    List<String> targets() {
        return targets;
    }

    /** @return rounds, window seconds and warm-up seconds, as resolved from the mode and the options. */
    int[] timing() {
        return new int[] {rounds, durationS, warmupS};
    }

    /** @return the overload curve's offered connections. */
    List<Integer> points() {
        return points;
    }

    /** @return the demo origin's selector threads. */
    int originThreads() {
        return originThreads;
    }

    /** @return how the proxies run: one core (the comparison's generous limits) or two; the curve's defaults. */
    Targets.Shape shape() {
        if (overload) {
            // Each proxy's own default limits: nginx's worker_connections 1024 (Weir's 1024 slots), HAProxy's
            // maxconn derived from ulimit -n, Weir's shipped configuration.
            return new Targets.Shape(cores, 1024, 0);
        }
        return cores == 1 ? Targets.COMPARE : new Targets.Shape(cores, Targets.COMPARE.nginxWorkerConnections,
            Targets.COMPARE.haproxyMaxconn);
    }

    /** @return the {@code taskset} prefix for the proxies, or empty. */
    private List<String> pinProxy(final boolean canPin) {
        return cores == 2 ? allCpus(canPin) : canPin ? List.of("taskset", "-c", "0") : List.of();
    }

    /** @return the {@code taskset} prefix for wrk and the origin, or empty. */
    private List<String> pinLoad(final boolean canPin) {
        return cores == 2 ? allCpus(canPin) : canPin ? List.of("taskset", "-c", "1") : List.of();
    }

    /**
     * In the 2-core mode every process may use both CPUs; the harness itself may have been pinned by
     * {@code bench/run}, and children inherit its affinity, so they are widened explicitly.
     */
    private static List<String> allCpus(final boolean canPin) {
        return canPin ? List.of("taskset", "-c", "0-" + (onlineCpus() - 1)) : List.of();
    }

    /** @return the line saying how the processes share the CPUs, for the log and the report. */
    private String placement(final boolean canPin) {
        if (cores == 2) {
            return "2-core mode: proxies, the load generator (-t" + cores + ") and the origin ("
                + originThreads + " threads) all share both CPUs; the load generator takes part of the proxies'"
                + " cores, so figures are per machine, not per core";
        }
        return canPin ? "proxy pinned to CPU 0, load and origin to CPU 1" : "NOT pinned (needs taskset and 2 CPUs)";
    }

    private int execute(final String[] args) throws Exception {
        final Path tmp = Files.createTempDirectory("weir-bench-");
        final boolean canPin = pin && onPath("taskset") && onlineCpus() >= 2;
        final List<String> pinProxy = pinProxy(canPin);
        final List<String> pinLoad = pinLoad(canPin);
        final LoadDriver driver = driver(tmp, pinLoad);
        if (overload) {
            out.println("weir bench: overload curve, mode " + mode + ", GET 128 B at " + points + " connections, "
                + durationS + " s windows after " + warmupS + " s warm-up, " + driver.name() + " -t" + cores
                + " --timeout " + OVERLOAD_TIMEOUT_S + "s, " + placement(canPin));
            final Origin origin = startOrigin(pinLoad, tmp);
            try {
                final Overload curve = new Overload(out, driver, points, durationS, warmupS, OVERLOAD_TIMEOUT_S);
                if (cores == 2) {
                    curve.note(placement(canPin));
                }
                curve.run(groups(origin.port, pinProxy, tmp).get(0), origin.port, tmp);
                final Map<String, Object> header = header(args, driver, canPin);
                header.put("schema", "weir-bench-overload/1");
                final String stem = "overload-" + stamp();
                final Path json = curve.write(results, stem, header);
                out.println("\nwrote " + json + " and " + json.resolveSibling(stem + ".png"));
                return curve.measuredAny() ? 0 : 1;
            } finally {
                origin.close();
            }
        }
        out.println("weir bench: mode " + mode + (sweepKey != null ? ", sweep " + sweepKey + "=" + sweepValues : "")
            + ", " + rounds + " rounds x " + durationS + " s, " + connections + " connections"
            + (rate > 0 ? " at a fixed " + (long) rate + " requests/s (latency from each request's intended start)"
                : "") + ", scenarios " + scenarios + ", " + placement(canPin));
        if (baseline != null) {
            out.println("weir " + weir + " (" + commitOf(weir) + ") vs " + Targets.WEIR_BASELINE + " " + baseline + " ("
                + commitOf(baseline) + ")");
        }
        final Map<String, String> unavailable = new LinkedHashMap<>();
        final List<Row> rows = new ArrayList<>();
        final Origin origin = startOrigin(pinLoad, tmp);
        try {
            for (final List<Target> group : groups(origin.port, pinProxy, tmp)) {
                measureGroup(group, origin.port, driver, tmp, rows, unavailable);
            }
        } finally {
            origin.close();
        }
        final Report report = new Report(rows, unavailable, scenarios);
        if (cores == 2) {
            report.note(placement(canPin));
        }
        out.println();
        out.print(report.table());
        final Map<String, Object> header = header(args, driver, canPin);
        final String stem = (sweepKey == null ? "compare-" : "sweep-" + sweepKey + "-") + stamp();
        final String where = cores == 2 ? "two shared cores" : "one core each";
        final String title = sweepKey == null ? "Weir " + (baseline == null ? "" : "and its baseline ")
            + "vs nginx vs HAProxy, " + where + " (" + driver.name() + ")"
            : "Weir sweep of " + sweepKey + " (" + driver.name() + ")";
        final Path json = report.write(results, stem, header, title);
        out.println("\nwrote " + json + " and " + json.resolveSibling(stem + ".png") + " (also latest.json/png)");
        return rows.stream().anyMatch(r -> !r.samples.isEmpty()) ? 0 : 1;
    }

    private static String stamp() {
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }

    LoadDriver driver(final Path tmp, final List<String> pinLoad) throws IOException {
        if (rate > 0) {
            return new BuiltinDriver(cores, rate);
        }
        final boolean wrk = onPath("wrk");
        if ("wrk".equals(loadgen) || "auto".equals(loadgen) && wrk) {
            if (!wrk) {
                throw new IllegalStateException("wrk is not installed: apt-get install " + WRK_PACKAGE);
            }
            return new WrkDriver(tmp, pinLoad, cores);
        }
        if ("auto".equals(loadgen)) {
            out.println("wrk not installed (Debian package " + WRK_PACKAGE + "): using the builtin load generator");
        }
        return new BuiltinDriver(cores, 0);
    }

    /**
     * Builds the targets to measure together, in one group: a sweep starts one Weir per value beside direct, so
     * every value is measured in the same interleaved rounds and a noisy minute hits them all alike.
     *
     * @param originPort the demo origin's port.
     * @param pinProxy   the {@code taskset} prefix for proxies, or empty.
     * @param tmp        directory for generated configurations and logs.
     * @return the groups, in measuring order.
     * @throws IOException when a configuration file cannot be written.
     */
    List<List<Target>> groups(final int originPort, final List<String> pinProxy, final Path tmp)
        throws IOException {
        final List<List<Target>> groups = new ArrayList<>();
        final Targets.Shape shape = shape();
        if (sweepKey != null) {
            final List<Target> swept = new ArrayList<>(List.of(Targets.direct()));
            for (final String v : sweepValues) {
                swept.add(weirTarget(originPort, pinProxy, tmp, sweepKey, v.trim()));
            }
            groups.add(swept);
            return groups;
        }
        final List<Target> group = new ArrayList<>();
        for (final String t : targets) {
            switch (t.trim()) {
                case "direct":
                    group.add(Targets.direct());
                    break;
                case "weir":
                    group.add(weirTarget(originPort, pinProxy, tmp, null, null));
                    break;
                case Targets.WEIR_LOG:
                    group.add(launcher(Targets.weirLog(weir, originPort, pinProxy, tmp, shape), weir));
                    break;
                case Targets.WEIR_BASELINE:
                    group.add(launcher(Targets.weirBaseline(baseline, originPort, pinProxy, shape), baseline));
                    break;
                case Targets.WEIR_REUSEPORT:
                    group.add(launcher(Targets.weirReusePort(weir, originPort, pinProxy), weir));
                    break;
                case "nginx":
                    group.add(installed(Targets.nginx(originPort, pinProxy, tmp, shape), "nginx", NGINX_PACKAGE));
                    break;
                case "haproxy":
                    group.add(installed(Targets.haproxy(originPort, pinProxy, tmp, shape), "haproxy",
                        HAPROXY_PACKAGE));
                    break;
                default:
                    throw new IllegalArgumentException("unknown target: " + t);
            }
        }
        groups.add(group);
        return groups;
    }

    private Target weirTarget(final int originPort, final List<String> pinProxy, final Path tmp, final String key,
        final String value) throws IOException {
        return launcher(Targets.weir(weir, originPort, pinProxy, key, value, sweepYaml, tmp, shape()), weir);
    }

    private static Target launcher(final Target t, final Path launcher) {
        if (!Files.isExecutable(launcher)) {
            t.unavailable = launcher + " not found or not executable (the proxy is not built yet?)";
        }
        return t;
    }

    private Target installed(final Target t, final String binary, final String debianPackage) {
        if (!onPath(binary)) {
            t.unavailable = "not installed (Debian package " + debianPackage + ": apt-get install " + debianPackage
                + ")";
        }
        return t;
    }

    /**
     * Starts every target of a group; those that fail are listed as unavailable.
     *
     * @return the targets that answered, in the group's order.
     */
    List<Target> startAll(final List<Target> group, final int originPort, final Path tmp,
        final Map<String, String> unavailable) {
        final List<Target> live = new ArrayList<>();
        for (final Target t : group) {
            t.start(originPort, tmp);
            if (t.available()) {
                live.add(t);
                out.println("started " + t.name + " on 127.0.0.1:" + t.port + (t.pid() > 0 ? " pid " + t.pids() : ""));
            } else if (!unavailable.containsKey(t.name)) {
                unavailable.put(t.name, t.unavailable);
                out.println("unavailable: " + t.name + ": " + t.unavailable);
            }
        }
        return live;
    }

    private void measureGroup(final List<Target> group, final int originPort, final LoadDriver driver,
        final Path tmp, final List<Row> rows, final Map<String, String> unavailable) throws Exception {
        try {
            final List<Target> live = startAll(group, originPort, tmp, unavailable);
            final Map<String, Row> byKey = new LinkedHashMap<>();
            for (final Target t : live) {
                for (final Scenario scenario : scenarios) {
                    final Row row = new Row(t, scenario, scenario.connections(connections));
                    byKey.put(t.name + "@" + scenario.name, row);
                    rows.add(row);
                    // Quick mode warms each target up once, on its first scenario; the median over rounds absorbs
                    // the slower first round of the others.
                    if (warmupS > 0 && (!"quick".equals(mode) || scenario == scenarios.get(0))) {
                        driver.run(t.port, scenario, row.connections, warmupS, COMPARE_TIMEOUT_S);
                    }
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (final Scenario scenario : scenarios) {
                    for (final Target t : live) {
                        final Row row = byKey.get(t.name + "@" + scenario.name);
                        final Sample s = measure(t, scenario, row.connections, durationS, COMPARE_TIMEOUT_S, driver);
                        row.samples.add(s);
                        out.println(String.format(Locale.ROOT,
                            "round %d/%d %-24s %8s %,12.0f req/s  p99 %8.0f us  errors %d", round, rounds, t.name,
                            scenario.name, s.requestsPerSecond, s.p99Us, s.errors));
                    }
                }
            }
            for (final Row row : byKey.values()) {
                row.peakRssKib = ProcStats.peakRssKib(row.target.pids());
            }
            for (final Target t : live) {
                if (Targets.WEIR_LOG.equals(t.name)) {
                    // The load has stopped: let the log thread write its last lines and Weir print a stats line.
                    Thread.sleep(ACCESS_LOG_SETTLE_MS);
                    out.println(accessLogNote(t, tmp.resolve(Targets.WEIR_LOG_FILE)));
                    // A full run writes hundreds of MiB of lines; Weir's open file goes when it stops.
                    Files.deleteIfExists(tmp.resolve(Targets.WEIR_LOG_FILE));
                }
            }
        } finally {
            for (final Target t : group) {
                t.stop();
            }
        }
    }

    /**
     * Measures one window of one target: the load driver's figures, the proxy's CPU over the window (every process
     * of the target), its resident set after it, and for Weir its own counters from the stats lines around it.
     */
    static Sample measure(final Target t, final Scenario scenario, final int connections, final int seconds,
        final int timeoutSeconds, final LoadDriver driver) throws Exception {
        final List<Long> pids = t.pids();
        final boolean weir = "weir".equals(t.kind);
        // Weir's own stats lines (bin/weir --stats-interval) give exact stage allocation and GC count; an older
        // Weir without them falls back to jstat's estimate.
        final List<WeirStats.Snapshot> statsBefore = weir ? WeirStats.freshAll(t.logs(), null) : null;
        final boolean hasStats = statsBefore != null && !statsBefore.contains(null);
        final long javaPid = weir && !hasStats ? JvmStats.javaPid(t.pid()) : -1;
        final JvmStats.Snapshot before = JvmStats.snapshot(javaPid);
        final double cpuBefore = ProcStats.cpuSeconds(pids);
        final Sample s = driver.run(t.port, scenario, connections, seconds, timeoutSeconds);
        final double cpuAfter = ProcStats.cpuSeconds(pids);
        if (cpuBefore >= 0 && cpuAfter >= 0) {
            s.cpuSeconds = cpuAfter - cpuBefore;
        }
        s.rssKib = ProcStats.rssKib(pids);
        if (!hasStats || !WeirStats.apply(statsBefore, WeirStats.freshAll(t.logs(), statsBefore), s)) {
            JvmStats.apply(before, JvmStats.snapshot(javaPid), s);
        }
        return s;
    }

    /**
     * @return one line: the lines in the access log against the records Weir counted (its last stats line), so a
     *         run shows the log held one line per request or how many it dropped.
     */
    static String accessLogNote(final Target t, final Path file) throws IOException {
        long lines = 0;
        long bytes = 0;
        if (Files.exists(file)) {
            try (Stream<String> all = Files.lines(file, StandardCharsets.ISO_8859_1)) {
                lines = all.count();
            }
            bytes = Files.size(file);
        }
        String counters = "no stats line";
        if (t.log() != null && Files.exists(t.log())) {
            final List<String> log = Files.readAllLines(t.log(), StandardCharsets.UTF_8);
            for (int i = log.size() - 1; i >= 0; i--) {
                final String line = log.get(i);
                final int at = line.indexOf("access_log_records=");
                if (line.startsWith("weir stats:") && at >= 0) {
                    final int end = line.indexOf(" timeout_", at);
                    counters = line.substring(at, end < 0 ? line.length() : end);
                    break;
                }
            }
        }
        return t.name + ": " + lines + " lines in " + file + " (" + bytes / 1024 + " KiB); Weir counted "
            + counters;
    }

    private Map<String, Object> header(final String[] args, final LoadDriver driver, final boolean pinned) {
        final Map<String, Object> h = new LinkedHashMap<>();
        h.put("schema", "weir-bench-compare/1");
        h.put("timestamp", java.time.OffsetDateTime.now().toString());
        h.put("command", "bench/run " + String.join(" ", args));
        h.put("mode", mode);
        h.put("loadGenerator", driver.name());
        h.put("pinned", pinned);
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("rounds", rounds);
        settings.put("durationSeconds", durationS);
        settings.put("warmupSeconds", warmupS);
        settings.put("connections", connections);
        final List<Object> names = new ArrayList<>();
        for (final Scenario scenario : scenarios) {
            names.add(scenario.name);
        }
        settings.put("scenarios", names);
        settings.put("cores", cores);
        settings.put("loadGeneratorThreads", driver.threads());
        settings.put("ratePerSecond", rate > 0 ? rate : null);
        settings.put("loadSharesCores", cores == 2 || !pinned);
        if (overload) {
            settings.put("points", new ArrayList<Object>(points));
            settings.put("timeoutSeconds", OVERLOAD_TIMEOUT_S);
        }
        settings.put("openFilesLimit", openFilesLimit());
        settings.put("origin", originMode);
        settings.put("originThreads", originThreads);
        settings.put("sweepKey", sweepKey);
        settings.put("sweepValues", new ArrayList<Object>(sweepValues));
        settings.put("weir", weir.toString());
        settings.put("weirCommit", commitOf(weir));
        settings.put("baseline", baseline == null ? null : baseline.toString());
        settings.put("baselineCommit", baseline == null ? null : commitOf(baseline));
        h.put("settings", settings);
        final Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpu", cpuModel());
        machine.put("cpus", onlineCpus());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        h.put("machine", machine);
        final Map<String, Object> tools = new LinkedHashMap<>();
        for (final String tool : List.of("wrk", "nginx", "haproxy", "taskset", "jstat")) {
            tools.put(tool, onPath(tool));
        }
        h.put("tools", tools);
        return h;
    }

    /**
     * @param launcher a checkout's {@code bin/weir}.
     * @return {@code git describe --always --dirty} of that checkout, so a result says which builds it compared;
     *         null when it is not a git checkout or git is missing.
     */
    private static String commitOf(final Path launcher) {
        final Path checkout = Targets.checkoutOf(launcher);
        if (checkout == null || !onPath("git")) {
            return null;
        }
        try {
            final Process p = new ProcessBuilder("git", "-C", checkout.toString(), "describe", "--always", "--dirty",
                "--abbrev=12").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            final String described = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && !described.isEmpty() ? described : null;
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * @return the origin's heap ceiling: it pools about 200 KiB of buffers per concurrent connection, and on the
     *         overload curve a proxy without a connection limit to its upstream (HAProxy, nginx) opens as many as it
     *         has clients; an origin that runs out of heap would make every proxy look broken.
     */
    int originHeapMib() {
        final int connectionsHeld = overload ? points.stream().mapToInt(Integer::intValue).max().orElse(0)
            : connections;
        return Math.max(ORIGIN_MIN_HEAP_MIB, ORIGIN_BASE_HEAP_MIB + connectionsHeld / ORIGIN_CONNECTIONS_PER_MIB);
    }

    private Origin startOrigin(final List<String> pinLoad, final Path tmp) throws IOException {
        if ("inproc".equals(originMode)) {
            final DemoOrigin o = DemoOrigin.start("127.0.0.1", 0, originThreads);
            out.println("origin (in process) on 127.0.0.1:" + o.port());
            return new Origin(o.port(), o, null);
        }
        final List<String> cmd = new ArrayList<>(pinLoad);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms64m",
            "-Xmx" + originHeapMib() + "m",
            "-cp", System.getProperty("java.class.path"), DemoOrigin.class.getName(), "--listen", "127.0.0.1:0",
            "--threads", Integer.toString(originThreads)));
        final Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("origin.log").toFile()).start();
        final BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        final String ready = r.readLine();
        if (ready == null || !ready.startsWith("ready ")) {
            p.destroyForcibly();
            throw new IOException("demo origin did not start: " + ready + " (see " + tmp.resolve("origin.log") + ")");
        }
        final int port = Integer.parseInt(ready.split(" ")[1].split(":")[1]);
        out.println("origin pid " + p.pid() + " on 127.0.0.1:" + port);
        return new Origin(port, null, p);
    }

    /** The running demo origin, in process or as a child process. */
    private static final class Origin implements AutoCloseable {
        final int port;
        final DemoOrigin inProcess;
        final Process process;

        Origin(final int port, final DemoOrigin inProcess, final Process process) {
            this.port = port;
            this.inProcess = inProcess;
            this.process = process;
        }

        @Override
        public void close() {
            if (inProcess != null) {
                inProcess.close();
            }
            if (process != null) {
                process.destroy();
                try {
                    if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (final InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    static boolean onPath(final String binary) {
        final String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (final String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, binary))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", binary));
    }

    /** @return CPUs in the machine, not just those this (pinned) process may use. */
    static int onlineCpus() {
        try {
            return (int) Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("processor")).count();
        } catch (final IOException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    private static String cpuModel() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (final IOException e) {
            // Not Linux: leave the model unknown.
        }
        return "unknown";
    }

    /** @return this process's soft limit on open files (its children inherit it: wrk needs one per connection). */
    static long openFilesLimit() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
                }
            }
        } catch (final IOException | RuntimeException e) {
            // Not Linux, or unlimited: unknown.
        }
        return -1;
    }

    private static String value(final String[] args, final int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
