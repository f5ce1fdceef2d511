package dev.weir.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

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
        final Row weir = row(Targets.weir(Path.of("bin/weir"), ORIGIN_PORT, List.of(), null, null, false, tmp), 300);
        final Row baseline = row(Targets.weirBaseline(Path.of("old/bin/weir"), ORIGIN_PORT, List.of()), 200);
        final Report report = new Report(List.of(weir, baseline), Map.of(), List.of(128));

        assertEquals(1.5, report.ratio("weir/weir-baseline", 128), 1e-9);
        assertTrue(report.table().contains("ratios of median req/s       128 B\nweir/weir-baseline            1.50\n"),
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
        final Report report = new Report(List.of(plain, withLog), Map.of(), List.of(128));
        assertEquals(0.95, report.ratio("weir-log/weir", 128), 1e-9);
        assertTrue(report.table().contains("ratios of median req/s       128 B\nweir-log/weir                 0.95\n"),
            report.table());
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
        final Row row = new Row(target, 128);
        final Sample sample = new Sample();
        sample.requestsPerSecond = requestsPerSecond;
        row.samples.add(sample);
        return row;
    }
}
