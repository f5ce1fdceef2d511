package dev.weir.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareTest {

    private static final int ORIGIN_PORT = 9;

    @TempDir
    Path tmp;

    @Test
    void shouldAddWeirBaselineRightAfterWeirWithTheGivenLauncherAndWeirsFlags() throws Exception {
        final Path launcher = Files.createDirectories(tmp.resolve("weir-main/bin")).resolve("weir");
        final Map<String, Target> byName = targets("--baseline", launcher.toString());

        assertEquals(List.of("direct", "weir", "weir-baseline", "weir-log", "nginx", "haproxy"),
            List.copyOf(byName.keySet()));
        final List<String> baseline = byName.get("weir-baseline").command();
        final List<String> weir = byName.get("weir").command();
        assertEquals(launcher.toString(), baseline.get(0));
        // The same flags, but for the admin listener, which this build serves its metrics on (an older one may
        // not know the key).
        final List<String> admin = List.of("--set", "admin.listen=127.0.0.1:0");
        assertEquals(admin, weir.subList(weir.size() - 2, weir.size()));
        assertEquals(weir.subList(1, weir.size() - 2), baseline.subList(1, baseline.size()));
        assertTrue(baseline.contains("--stats-interval"), baseline.toString());
        assertEquals("weir", byName.get("weir-baseline").kind);
        assertEquals(tmp.resolve("weir-main"), byName.get("weir-baseline").directory(), "runs in its own checkout");
    }

    @Test
    void shouldKeepTheOrderOfAnExplicitTargetList() throws Exception {
        final Map<String, Target> byName = targets("--targets", "weir-baseline,weir", "--baseline", "bin/weir");

        assertEquals(List.of("weir-baseline", "weir"), List.copyOf(byName.keySet()));
        assertEquals(Path.of("bin/weir").toAbsolutePath().toString(), byName.get("weir-baseline").command().get(0));
    }

    @Test
    void shouldLeaveTheBaselineOutWithoutTheOption() throws Exception {
        assertEquals(List.of("direct", "weir", "weir-log", "nginx", "haproxy"), List.copyOf(targets().keySet()));
    }

    @Test
    void shouldRefuseTheBaselineTargetWithoutALauncher() throws Exception {
        assertRefused("target weir-baseline needs --baseline PATH", "--targets", "weir,weir-baseline");
        assertRefused("--baseline does not combine with --sweep", "--baseline", "x/bin/weir", "--sweep", "ring-size=2");
    }

    @Test
    void shouldPutWeirOverBaselineFirstAmongTheRatios() throws Exception {
        final Row weir = row(Targets.weir(Path.of("bin/weir"), ORIGIN_PORT, List.of(), null, null, false, tmp,
            Targets.COMPARE), 300);
        final Row baseline = row(Targets.weirBaseline(Path.of("old/bin/weir"), ORIGIN_PORT, List.of(),
            Targets.COMPARE), 200);
        final Report report = new Report(List.of(weir, baseline), Map.of(), List.of(Scenario.get(128)));

        assertEquals(1.5, report.ratio("weir/weir-baseline", "get128"), 1e-9);
        assertTrue(report.table().contains("ratios of median req/s      get128\nweir/weir-baseline            1.50\n"),
            report.table());
    }

    @Test
    void shouldRunWeirWithItsAccessLogOnBesideWeirAndPutTheirRatioFirst() throws Exception {
        final Map<String, Target> byName = targets();
        final List<String> weir = byName.get("weir").command();
        final List<String> logged = byName.get("weir-log").command();
        assertEquals(weir, logged.subList(0, weir.size()), "the same Weir, same flags");
        assertEquals(List.of("--set", "access-log.path=" + tmp.resolve(Targets.WEIR_LOG_FILE), "--set",
            "access-log.format=combined"), logged.subList(weir.size(), logged.size()));
        assertEquals("weir", byName.get("weir-log").kind, "its stats lines are read like weir's");
        final Row plain = row(byName.get("weir"), 400);
        final Row withLog = row(byName.get("weir-log"), 380);
        final Report report = new Report(List.of(plain, withLog), Map.of(), List.of(Scenario.get(128)));
        assertEquals(0.95, report.ratio("weir-log/weir", "get128"), 1e-9);
        assertTrue(report.table().contains("ratios of median req/s      get128\nweir-log/weir                 0.95\n"),
            report.table());
    }

    @Test
    void shouldParseEveryScenarioNameIntoItsRequest() {
        final Scenario get1m = Scenario.parse("get1m");
        assertEquals(List.of("GET", "/bytes/1048576", "0", "1048576", "50"), describe(get1m));
        assertEquals(List.of("GET", "/bytes/16384", "0", "16384", "50"), describe(Scenario.parse("GET16K")));
        assertEquals(List.of("GET", "/bytes/128", "0", "128", "50"), describe(Scenario.parse("get128")));
        // The origin answers "length=16384 crc32=HEX8\n": 28 bytes, whatever the CRC.
        assertEquals(List.of("POST", "/crc32", "16384", "28", "50"), describe(Scenario.parse("post16k")));
        assertEquals(List.of("GET", "/bytes/128", "0", "128", "1"), describe(Scenario.parse("one")));
        assertEquals("post16k", Scenario.parse("post16384").name, "one name per request");
        assertEquals("POST 16 KiB", Scenario.parse("post16k").label());
        assertEquals("GET 128 B, 1 conn", Scenario.parse("one").label());
    }

    @Test
    void shouldRefuseUnknownMalformedAndRepeatedScenarios() throws Exception {
        assertRefused("unknown scenario: put16k", "--scenarios", "get128,put16k");
        assertRefused("unknown scenario: getx", "--scenarios", "getx");
        assertRefused("scenario get needs a size", "--scenarios", "get");
        assertRefused("scenario listed twice: get16k", "--scenarios", "get16k,get16384");
    }

    @Test
    void shouldMeasureEveryScenarioInQuickModeWithOneSecondWindows() {
        final Compare quick = parsed("--quick");
        assertEquals(List.of("get128", "get16k", "get1m", "post16k", "one"), names(quick.scenarios()));
        assertArrayEquals(new int[] {3, 1, 1}, quick.timing(), "3 rounds x 1 s after 1 s of warm-up");
        assertArrayEquals(new int[] {5, 5, 2}, parsed().timing(), "full: 5 rounds x 5 s after 2 s");
        assertEquals(List.of("get128", "get1k"), names(parsed("--sizes", "128,1024").scenarios()));
        assertEquals(List.of("one", "post1m"), names(parsed("--scenarios", "one,post1m").scenarios()));
        assertArrayEquals(new int[] {2, 7, 0}, parsed("--quick", "--rounds", "2", "--duration", "7", "--warmup",
            "0").timing(), "options win over the mode");
    }

    @Test
    void shouldWriteAWrkScriptThatSendsTheScenariosBody() {
        final String post = WrkDriver.script(Scenario.parse("post16k"));
        assertTrue(post.contains("wrk.method = \"POST\"\n"), post);
        assertTrue(post.contains("wrk.body = string.rep(\"x\", 16384)\n"), post);
        assertTrue(post.contains("wrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n"), post);
        assertTrue(post.contains("done = function(summary, latency, requests)"), post);
        final String get = WrkDriver.script(Scenario.parse("get1m"));
        assertFalse(get.contains("wrk.method") || get.contains("wrk.body"), get);
        assertTrue(get.contains("done = function"), get);
    }

    @Test
    void shouldRunWrkWithOneThreadPerConnectionAtMostAndTheGivenTimeout() {
        final WrkDriver wrk = new WrkDriver(tmp, List.of("taskset", "-c", "1"), 2);
        assertEquals(List.of("taskset", "-c", "1", "wrk", "-t1", "-c1", "-d3s", "--timeout", "5s", "-s",
            tmp.resolve("weir-bench-one.lua").toString(), "http://127.0.0.1:8080/bytes/128"),
            wrk.command(8080, Scenario.parse("one"), 1, 3, 5));
        assertEquals(List.of("wrk", "-t2", "-c10000", "-d5s", "--timeout", "2s", "-s",
            tmp.resolve("weir-bench-post16k.lua").toString(), "http://127.0.0.1:8080/crc32"),
            new WrkDriver(tmp, List.of(), 2).command(8080, Scenario.parse("post16k"), 10000, 5, 2).subList(0, 9));
    }

    @Test
    void shouldCountNon2xxApartFromSocketErrorsInWrksSummary() throws Exception {
        final Sample s = WrkDriver.parse("Running 5s test\n"
            + "WEIRBENCH requests=1000 duration_us=2000000 connect=1 read=2 write=3 status=100 timeout=4\n"
            + "WEIRBENCH p50=10 p99=20 p999=30 max=40\n");
        assertEquals(900, s.requests, "good: answered below 400");
        assertEquals(450.0, s.requestsPerSecond, 1e-9);
        assertEquals(100, s.statusErrors);
        assertEquals(10, s.socketErrors());
        assertEquals(110, s.errors);
        assertEquals(20.0, s.p99Us, 1e-9);
    }

    @Test
    void shouldGiveEveryProxyTwoThreadsAndAddReusePortWeirInTwoCoreMode() throws Exception {
        final Compare two = parsed("--cores", "2");
        assertEquals(2, two.originThreads());
        final Map<String, Target> byName = targets("--cores", "2");
        assertEquals(List.of("direct", "weir", "weir-reuseport", "nginx", "haproxy"), List.copyOf(byName.keySet()));
        final String weir = String.join(" ", byName.get("weir").command());
        assertTrue(weir.contains("--set parse.threads=2 --set upstream.threads=2 --set write.threads=2"), weir);
        final Target reusePort = byName.get("weir-reuseport");
        assertEquals(2, reusePort.instances());
        final String reuse = String.join(" ", reusePort.command());
        assertTrue(reuse.contains("--set accept.reuse-port=true") && !reuse.contains("threads="), reuse);
        assertTrue(Files.readString(tmp.resolve("nginx/nginx.conf.template")).contains("worker_processes 2;"));
        assertTrue(Files.readString(tmp.resolve("haproxy.cfg.template")).contains("  nbthread 2\n"));
        final String one = String.join(" ", targets().get("weir").command());
        assertFalse(one.contains("threads="), "one core: Weir's shipped configuration: " + one);
        assertRefused("--cores must be 1 or 2: 3", "--cores", "3");
    }

    @Test
    void shouldRunTheOverloadCurveWithEachProxysDefaultLimits() throws Exception {
        final Map<String, Target> byName = targets("--overload");
        assertEquals(List.of("weir", "nginx", "haproxy"), List.copyOf(byName.keySet()));
        final String nginx = Files.readString(tmp.resolve("nginx/nginx.conf.template"));
        assertTrue(nginx.contains("worker_connections 1024;") && nginx.contains("worker_processes 1;"), nginx);
        final String haproxy = Files.readString(tmp.resolve("haproxy.cfg.template"));
        assertFalse(haproxy.contains("  maxconn "), haproxy);
        assertEquals(List.of(10, 50, 100, 500, 1000, 2000, 5000, 10000), parsed("--overload").points());
        assertEquals(List.of(10, 100, 1000, 10000), parsed("--overload", "--quick").points());
        assertEquals(List.of(3, 30), parsed("--overload", "--points", "3,30").points());
        assertArrayEquals(new int[] {1, 5, 2}, parsed("--overload").timing(), "5 s windows after 2 s");
        assertEquals(2628, parsed("--overload").originHeapMib(), "the origin holds 10 000 connections' buffers");
        assertEquals(256, parsed().originHeapMib());
        assertEquals(List.of("weir", "weir-reuseport", "nginx", "haproxy"),
            List.copyOf(targets("--overload", "--cores", "2").keySet()));
        assertRefused("--overload does not combine with --sweep", "--overload", "--sweep", "ring-size=2");
        assertRefused("--points needs connection counts of at least 1", "--overload", "--points", "0");
    }

    @Test
    void shouldReportEveryScenarioAsARowAndARatioColumn() throws Exception {
        final Target weir = targets().get("weir");
        final Target nginx = targets().get("nginx");
        final Scenario post = Scenario.parse("post16k");
        final Scenario one = Scenario.parse("one");
        final List<Row> rows = List.of(row(weir, post, 50, 200, 3.0), row(nginx, post, 50, 100, 2.0),
            row(weir, one, 1, 40, 0.5), row(nginx, one, 1, 50, 0.5));
        final Report report = new Report(rows, Map.of(), List.of(post, one)).note("the load generator shares");
        final String table = report.table();
        assertTrue(table.contains("target                   scenario  req/s median"), table);
        assertTrue(table.contains("\nweir                      post16k"), table);
        assertTrue(table.contains("ratios of median req/s     post16k       one\n"), table);
        assertTrue(table.contains("\nweir/nginx                    2.00      0.80\n"), table);
        assertTrue(table.contains("\nnote: the load generator shares\n"), table);
        final String json = report.json(new java.util.LinkedHashMap<>());
        assertTrue(json.contains("\"scenario\": \"post16k\",\n      \"method\": \"POST\",\n      \"path\": \"/crc32\","
            + "\n      \"requestBodyBytes\": 16384,\n      \"bodyBytes\": 28,\n      \"connections\": 50,"), json);
        assertTrue(json.contains("\"weir/nginx\": {\n      \"post16k\": 2.0,\n      \"one\": 0.8\n"), json);
        assertTrue(json.contains("\"proxyCpuMicrosPerRequest\": 15000.0"), "3 s over 200 requests: " + json);
    }

    @Test
    void shouldPlotScenariosAHundredTimesApartOnALogAxisWithoutFailing() throws Exception {
        final Target weir = targets().get("weir");
        final Scenario get128 = Scenario.parse("get128");
        final Scenario get1m = Scenario.parse("get1m");
        for (final long slow : new long[] {300, 0}) {
            final Report report = new Report(List.of(row(weir, get128, 50, 50_000, 1.0), row(weir, get1m, 50, slow,
                1.0)), Map.of(), List.of(get128, get1m));
            final Path png = tmp.resolve("plot-" + slow + ".png");
            report.plot(png, "scenarios");
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'},
                java.util.Arrays.copyOf(Files.readAllBytes(png), 4), "a zero bar falls back to a linear axis");
        }
    }

    @Test
    void shouldSumWeirStatsOverProcessesAndGiveRefusalsPerSecond() {
        final Sample s = new Sample();
        s.requests = 100;
        final List<WeirStats.Snapshot> before = List.of(WeirStats.parse(
            "weir stats: uptime_ms=1000 requests=10 responses=10 errors=0 rejected=5 wakeups=0"
            + " stage_allocated_bytes=100 gc_count=1 gc_time_ms=0 slots_in_use=0"), WeirStats.parse(
            "weir stats: uptime_ms=2000 requests=20 rejected=0 stage_allocated_bytes=0 gc_count=0"));
        final List<WeirStats.Snapshot> after = List.of(WeirStats.parse(
            "weir stats: uptime_ms=3000 requests=60 rejected=205 stage_allocated_bytes=300 gc_count=2"),
            WeirStats.parse("weir stats: uptime_ms=2500 requests=70 rejected=50 stage_allocated_bytes=0 gc_count=0"));
        assertTrue(WeirStats.apply(before, after, s));
        assertEquals(100 + 100, s.rejectedPerSecond, 1e-9, "200 in 2 s, then 50 in 0.5 s");
        assertEquals(2.0, s.allocBytesPerRequest, 1e-9, "200 bytes over 100 requests");
        assertEquals(1, s.gcCount);
    }

    @Test
    void shouldReportTheShareOfEachTargetsPeakAtTheHighestLoadAndWeirsMemoryAgainstItsPlan() throws Exception {
        final Overload curve = new Overload(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), new BuiltinDriver(1, 0), List.of(1000, 10), 5, 2, 2);
        final Overload.Curve weir = new Overload.Curve(targets().get("weir"));
        point(weir, 10, 40_000, 0, 0);
        point(weir, 1000, 30_000, 20_000, 0);
        weir.readyRssKib = 100 * 1024;
        weir.peakRssKib = 150 * 1024;
        weir.planTotalBytes = 300L * 1024 * 1024;
        final Overload.Curve nginx = new Overload.Curve(targets().get("nginx"));
        point(nginx, 10, 50_000, 0, 0);
        point(nginx, 1000, 10_000, 0, 900);
        curve.curves().addAll(List.of(weir, nginx));

        assertEquals(0.75, weir.shareOfPeakAtHighest(), 1e-9);
        assertEquals(10, nginx.peakAt());
        final String table = curve.table();
        assertTrue(table.contains("\nweir               1000      30000       4000"), table);
        assertTrue(table.contains("\nweir                  40000       10        30000       75%         100.0"
            + "      150.0       50.0      300.0      0.50\n"), table);
        assertTrue(table.contains("\nnginx                 50000       10        10000       20%"), table);
        final String json = curve.json(new java.util.LinkedHashMap<>());
        for (final String field : List.of("\"goodPerSecond\": 30000.0", "\"non2xxPerSecond\": 4000.0",
            "\"timeouts\": 900", "\"shareOfPeakAtHighest\": 0.75", "\"rssGrowthKib\": 51200",
            "\"peakRssOverPlan\": 0.5", "\"targetsRestartedPerPoint\": false")) {
            assertTrue(json.contains(field), field + " in " + json);
        }
        final Path png = tmp.resolve("curve.png");
        curve.plot(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(Files.readAllBytes(png),
            4));
    }

    @Test
    void shouldFillTheOriginsPoolFirstThenWarmUpAndMeasureEachPointInAscendingOrder() throws Exception {
        final List<String> calls = new java.util.ArrayList<>();
        final LoadDriver recording = new LoadDriver() {
            @Override
            public String name() {
                return "recording";
            }

            @Override
            public int threads() {
                return 1;
            }

            @Override
            public Sample run(final int port, final Scenario scenario, final int connections, final int seconds,
                final int timeoutSeconds) {
                calls.add(port + " " + scenario.name + " c" + connections + " " + seconds + "s timeout "
                    + timeoutSeconds + "s");
                final Sample s = new Sample();
                s.seconds = seconds;
                s.requests = 10L * seconds;
                s.requestsPerSecond = 10;
                return s;
            }
        };
        final Overload curve = new Overload(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), recording, List.of(1000, 10), 5, 2, 2);
        curve.run(List.of(Targets.direct()), ORIGIN_PORT, tmp);

        assertEquals(List.of("9 get128 c1000 8s timeout 2s", "9 get128 c10 2s timeout 2s",
            "9 get128 c10 5s timeout 2s", "9 get128 c1000 2s timeout 2s", "9 get128 c1000 5s timeout 2s"), calls);
        assertEquals(List.of(10, 1000), curve.curves().get(0).connections);
        calls.clear();
        new Overload(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), recording,
            List.of(999), 1, 0, 2).run(List.of(Targets.direct()), ORIGIN_PORT, tmp);
        assertEquals(List.of("9 get128 c999 1s timeout 2s"), calls, "no prefill below 1000, no warm-up at 0 s");
    }

    private static void point(final Overload.Curve curve, final int connections, final double good,
        final long non2xx, final long timeouts) {
        final Sample s = new Sample();
        s.seconds = 5;
        s.requestsPerSecond = good;
        s.requests = (long) (good * 5);
        s.statusErrors = non2xx;
        s.timeouts = timeouts;
        s.cpuSeconds = 4.5;
        curve.connections.add(connections);
        curve.samples.add(s);
    }

    private static Row row(final Target target, final Scenario scenario, final int connections,
        final long requests, final double cpuSeconds) {
        final Row row = new Row(target, scenario, connections);
        final Sample sample = new Sample();
        sample.requests = requests;
        sample.requestsPerSecond = requests;
        sample.cpuSeconds = cpuSeconds;
        row.samples.add(sample);
        return row;
    }

    private static List<String> describe(final Scenario s) {
        return List.of(s.method, s.path, Integer.toString(s.requestBodyBytes), Long.toString(s.responseBodyBytes),
            Integer.toString(s.connections(50)));
    }

    @Test
    void aRateDrivesTheBuiltinGeneratorAtThatRateAndIsRefusedWithWrkOrTheOverloadCurve() throws Exception {
        final LoadDriver driver = parsed("--rate", "600").driver(tmp, List.of());
        assertTrue(driver instanceof BuiltinDriver, driver.name());
        assertEquals(600.0, ((BuiltinDriver) driver).ratePerSecond());
        assertRefused("--rate needs a positive rate and the builtin load generator", "--rate", "600", "--loadgen",
            "wrk");
        assertRefused("--rate needs a positive rate and the builtin load generator", "--rate", "600", "--overload");
        assertRefused("--rate needs a positive rate and the builtin load generator", "--rate", "-1");
    }

    @Test
    void sweepMeasuresEveryValueInTheSameRounds() throws Exception {
        final Map<String, Target> t = targets("--sweep", "upstream.buffer=32k, 64k");
        assertEquals(List.of("direct", "weir[upstream.buffer=32k]", "weir[upstream.buffer=64k]"),
            new ArrayList<>(t.keySet()));
    }

    private static List<String> names(final List<Scenario> scenarios) {
        return scenarios.stream().map(s -> s.name).collect(Collectors.toList());
    }

    private static Compare parsed(final String... args) {
        final Compare compare = new Compare(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        compare.parse(args);
        return compare;
    }

    private Map<String, Target> targets(final String... args) throws Exception {
        final Compare compare = new Compare(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        compare.parse(args);
        final List<List<Target>> groups = compare.groups(ORIGIN_PORT, List.of(), tmp);
        assertEquals(1, groups.size());
        return groups.get(0).stream().collect(Collectors.toMap(t -> t.name, t -> t, (a, b) -> a,
            java.util.LinkedHashMap::new));
    }

    private static void assertRefused(final String message, final String... args) throws Exception {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertEquals(2, Compare.run(args, new PrintStream(log, true, StandardCharsets.UTF_8)));
        final String out = log.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains(message), out);
        assertFalse(out.contains("weir bench: mode"), "refused before running: " + out);
    }

    private static Row row(final Target target, final double requestsPerSecond) {
        final Row row = new Row(target, Scenario.get(128), 50);
        final Sample sample = new Sample();
        sample.requestsPerSecond = requestsPerSecond;
        row.samples.add(sample);
        return row;
    }
}
