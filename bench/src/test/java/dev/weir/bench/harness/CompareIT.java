package dev.weir.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareIT {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldMeasureDirectAndWriteJsonAndPlotInTinyMode(@TempDir final Path results) throws Exception {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final int status = Compare.run(new String[] {"--tiny", "--targets", "direct,weir", "--origin", "inproc",
            "--loadgen", "builtin", "--no-pin", "--weir", results.resolve("no-such-weir").toString(),
            "--results", results.toString()}, new PrintStream(log, true, StandardCharsets.UTF_8));
        final String out = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        assertTrue(out.contains("unavailable: weir"), out);

        final String json = Files.readString(results.resolve("latest.json"));
        assertTrue(json.contains("\"schema\": \"weir-bench-compare/1\""), json);
        assertTrue(json.contains("\"target\": \"direct\""), json);
        assertTrue(json.contains("\"weir\": \""), "weir listed as unavailable: " + json);
        final Matcher rps = Pattern.compile("\"rpsMedian\": ([0-9.E]+)").matcher(json);
        assertTrue(rps.find(), json);
        assertTrue(Double.parseDouble(rps.group(1)) > 0, json);
        final Matcher errors = Pattern.compile("\"errors\": ([0-9]+)").matcher(json);
        assertTrue(errors.find(), json);
        assertEquals("0", errors.group(1), json);

        final byte[] png = Files.readAllBytes(results.resolve("latest.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        try (var files = Files.list(results)) {
            assertEquals(4, files.filter(p -> p.getFileName().toString().matches("(compare-.*|latest)\\.(json|png)"))
                .count());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldHoldAFixedRateWellBelowTheClosedLoopsAndSayItInTheSettings(@TempDir final Path results)
        throws Exception {
        final String out = run("--tiny", "--targets", "direct", "--origin", "inproc", "--rate", "200", "--duration",
            "2", "--no-pin", "--repo", repo().toString(), "--results", results.toString());
        assertTrue(out.contains("at a fixed 200 requests/s"), out);
        final String json = Files.readString(results.resolve("latest.json"));
        assertTrue(json.contains("\"ratePerSecond\": 200.0"), json);
        final List<String> rows = objects(json, "\"target\": ");
        assertEquals(1, rows.size(), out);
        // Closed, the in-process origin answers thousands a second on 4 connections; held to 200, about 200.
        final double rps = number(rows.get(0), "rpsMedian");
        assertTrue(rps > 150 && rps < 250, rows.get(0));
        assertEquals(0.0, number(rows.get(0), "socketErrors"), rows.get(0));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldMeasureEveryNewScenarioThroughWeirAndDirect(@TempDir final Path results) throws Exception {
        final String out = run("--tiny", "--targets", "direct,weir", "--scenarios", "get128,get1m,post16k,one",
            "--origin", "inproc", "--no-pin", "--repo", repo().toString(), "--results", results.toString());
        final String json = Files.readString(results.resolve("latest.json"));
        assertTrue(json.contains("\"scenarios\": [\"get128\", \"get1m\", \"post16k\", \"one\"]"), json);
        final List<String> rows = objects(json, "\"target\": ");
        assertEquals(8, rows.size(), "two targets x four scenarios: " + out);
        for (final String row : rows) {
            assertTrue(number(row, "rpsMedian") > 0, row);
            assertEquals(0.0, number(row, "non2xx"), row);
            assertEquals(0.0, number(row, "socketErrors"), row);
            if (row.contains("\"target\": \"weir\"")) {
                assertTrue(number(row, "proxyCpuMicrosPerRequest") > 0, row);
                assertTrue(row.contains("\"allocSource\": \"weir-stats\""), row);
            }
        }
        assertTrue(json.contains("\"scenario\": \"post16k\",\n      \"method\": \"POST\""), json);
        assertTrue(json.contains("\"connections\": 1,"), "the one-connection scenario: " + json);
        assertTrue(json.contains("\"weir/direct\": {\n      \"get128\": "), json);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldDrawATwoPointOverloadCurveWithWeirsRefusalsAndMemory(@TempDir final Path results) throws Exception {
        final String out = run("--tiny", "--overload", "--targets", "direct,weir", "--origin", "inproc", "--no-pin",
            "--repo", repo().toString(), "--results", results.toString());
        final Path json;
        try (var files = Files.list(results)) {
            json = files.filter(p -> p.getFileName().toString().matches("overload-.*\\.json")).findFirst()
                .orElseThrow();
        }
        assertTrue(Files.exists(json.resolveSibling(json.getFileName().toString().replace(".json", ".png"))), out);
        final String text = Files.readString(json);
        assertTrue(text.contains("\"schema\": \"weir-bench-overload/1\""), text);
        final List<String> targets = objects(text, "\"target\": ");
        assertEquals(2, targets.size(), out);
        for (final String target : targets) {
            final List<String> points = objects(target, "\"connections\": ");
            assertEquals(2, points.size(), target);
            assertTrue(points.get(0).startsWith("\"connections\": 2,") && points.get(1).startsWith(
                "\"connections\": 4,"), target);
            for (final String point : points) {
                assertTrue(number(point, "goodPerSecond") > 0, point);
                assertEquals(0.0, number(point, "non2xxPerSecond"), "4 connections fit every proxy: " + point);
                assertTrue(number(point, "p99Us") > 0, point);
            }
            final double share = number(target, "shareOfPeakAtHighest");
            assertTrue(share > 0 && share <= 1, target);
        }
        final String weir = targets.get(1);
        assertTrue(weir.startsWith("\"target\": \"weir\""), weir);
        assertEquals(0.0, number(weir, "rejectedPerSecond"), "no slot was refused: " + weir);
        assertTrue(number(weir, "proxyCpuSeconds") > 0, weir);
        final double plan = number(weir, "planTotalBytes");
        final double hwm = number(weir, "peakRssKib") * 1024;
        assertTrue(plan > 0 && hwm > 0 && number(weir, "rssAtReadyKib") > 0, weir);
        assertTrue(hwm < 2 * plan, "the resident set stays near the plan: " + weir);
        assertTrue(number(weir, "rssGrowthKib") >= 0, weir);
    }

    private static String run(final String... args) throws Exception {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final int status = Compare.run(args, new PrintStream(log, true, StandardCharsets.UTF_8));
        final String out = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        assertFalse(out.contains("unavailable"), out);
        return out;
    }

    /** @return the repository root, where bin/weir is (failsafe runs in the bench module's directory). */
    private static Path repo() {
        final Path here = Path.of("").toAbsolutePath();
        return Files.isExecutable(here.resolve("bin/weir")) ? here : here.getParent();
    }

    /** @return the text from each occurrence of {@code start} to the next (or the end). */
    private static List<String> objects(final String json, final String start) {
        final List<String> parts = new ArrayList<>();
        int at = json.indexOf(start);
        while (at >= 0) {
            final int next = json.indexOf(start, at + 1);
            parts.add(json.substring(at, next < 0 ? json.length() : next));
            at = next;
        }
        return parts;
    }

    private static double number(final String json, final String field) {
        final Matcher m = Pattern.compile("\"" + field + "\": (-?[0-9.E]+)").matcher(json);
        assertTrue(m.find(), field + " in " + json);
        return Double.parseDouble(m.group(1));
    }
}
