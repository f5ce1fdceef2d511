package dev.weir.bench.harness;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The overload curve behind {@code bench/run --overload}: GET 128 B at rising offered concurrency (10 to 10 000
 * connections), each proxy with its default connection limits, to show how each one sheds what it cannot hold:
 * good responses per second, refusals (non-2xx), requests that got no answer (socket errors), the p99 of those
 * answered, and the proxy's CPU and memory.
 * <p>
 * The targets start once and stay up for the whole curve; the points run in ascending order and, within a point,
 * the targets one after the other, each with its own warm-up, so a point follows the one before it as load that
 * keeps rising would (a restart per point would add a JVM start and pre-touch per point and per target).
 * <p>
 * <b>Note:</b> used from the harness thread only.
 */
final class Overload {

    /** What the curve requests: the comparison's smallest answer, so the proxy's per-connection cost shows. */
    static final Scenario SCENARIO = Scenario.get(128);
    /** File descriptors wrk needs beyond one per connection. */
    private static final int WRK_SPARE_FILES = 64;
    /** From this many connections on, the origin's connection pool is filled before the curve. */
    static final int ORIGIN_PREFILL_FROM_CONNECTIONS = 1000;
    /** How long the origin is driven directly to fill its pool: it accepted 10 000 connections in about 6 s. */
    private static final int ORIGIN_PREFILL_S = 8;

    /** One target's figures over the curve. */
    static final class Curve {
        final Target target;
        final List<Integer> connections = new ArrayList<>();
        final List<Sample> samples = new ArrayList<>();
        long readyRssKib = -1;
        long peakRssKib = -1;
        long planTotalBytes = -1;

        Curve(final Target target) {
            this.target = target;
        }

        /** @return the highest good responses per second over the points, or NaN. */
        double peakGoodPerSecond() {
            return samples.stream().mapToDouble(s -> s.requestsPerSecond).max().orElse(Double.NaN);
        }

        /** @return the offered connections where the peak was measured, or -1. */
        int peakAt() {
            final double peak = peakGoodPerSecond();
            for (int i = 0; i < samples.size(); i++) {
                if (samples.get(i).requestsPerSecond == peak) {
                    return connections.get(i);
                }
            }
            return -1;
        }

        /** @return good responses per second at the highest load as a share of the peak (the headline), or NaN. */
        double shareOfPeakAtHighest() {
            return samples.isEmpty() ? Double.NaN
                : samples.get(samples.size() - 1).requestsPerSecond / peakGoodPerSecond();
        }
    }

    private final PrintStream out;
    private final LoadDriver driver;
    private final List<Integer> points;
    private final int durationS;
    private final int warmupS;
    private final int timeoutS;
    private final List<Curve> curves = new ArrayList<>();
    private final Map<String, String> unavailable = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    /**
     * @param out       where the progress goes.
     * @param driver    the load generator.
     * @param points    offered connections, measured in ascending order.
     * @param durationS window per point and target.
     * @param warmupS   unrecorded load before each window.
     * @param timeoutS  after how long a request counts as timed out.
     */
    Overload(final PrintStream out, final LoadDriver driver, final List<Integer> points, final int durationS,
        final int warmupS, final int timeoutS) {
        this.out = out;
        this.driver = driver;
        this.points = points.stream().sorted().distinct().collect(java.util.stream.Collectors.toList());
        this.durationS = durationS;
        this.warmupS = warmupS;
        this.timeoutS = timeoutS;
    }

    /**
     * Adds a line printed under the table and kept in the JSON.
     *
     * @param note the line.
     */
    void note(final String note) {
        notes.add(note);
    }

    /** @return the curves measured so far (tests build a report from their own). */
    List<Curve> curves() {
        return curves;
    }

    /** @return whether any target was measured at any point. */
    boolean measuredAny() {
        return curves.stream().anyMatch(c -> !c.samples.isEmpty());
    }

    /**
     * Starts the targets, measures every point against each, reads their memory, stops them.
     *
     * @param group      the targets.
     * @param originPort the demo origin's port.
     * @param tmp        directory for logs and configurations.
     * @throws Exception when the load driver fails.
     */
    void run(final List<Target> group, final int originPort, final Path tmp) throws Exception {
        final int highest = points.get(points.size() - 1);
        final long files = Compare.openFilesLimit();
        if (files >= 0 && files < highest + WRK_SPARE_FILES) {
            final String warning = "open files limit " + files + " is below " + (highest + WRK_SPARE_FILES)
                + ": wrk cannot open every connection (raise ulimit -n; bench/run raises it to the hard limit)";
            out.println("warning: " + warning);
            notes.add(warning);
        }
        if (highest >= ORIGIN_PREFILL_FROM_CONNECTIONS) {
            // The origin allocates 200 KiB of buffers for each connection it has not yet held and pools them; a
            // proxy that opens one upstream connection per client (HAProxy, nginx) would otherwise measure that
            // allocation, and the origin's single accept loop, at the high points instead of itself.
            final Sample prefill = driver.run(originPort, SCENARIO, highest, ORIGIN_PREFILL_S, timeoutS);
            out.println(String.format(Locale.ROOT, "origin driven directly with %d connections for %d s to fill its"
                + " pool: %,.0f good/s", highest, ORIGIN_PREFILL_S, prefill.requestsPerSecond));
        }
        try {
            for (final Target t : group) {
                t.start(originPort, tmp);
                if (t.available()) {
                    curves.add(new Curve(t));
                    out.println("started " + t.name + " on 127.0.0.1:" + t.port + " pid " + t.pids());
                } else {
                    unavailable.put(t.name, t.unavailable);
                    out.println("unavailable: " + t.name + ": " + t.unavailable);
                }
            }
            for (final Curve c : curves) {
                c.readyRssKib = c.target.readyRssKib();
            }
            for (final int connections : points) {
                for (final Curve c : curves) {
                    if (warmupS > 0) {
                        driver.run(c.target.port, SCENARIO, connections, warmupS, timeoutS);
                    }
                    final Sample s = Compare.measure(c.target, SCENARIO, connections, durationS, timeoutS, driver);
                    c.connections.add(connections);
                    c.samples.add(s);
                    out.println(String.format(Locale.ROOT,
                        "%6d conns %-16s good %,10.0f/s  non-2xx %,9.0f/s  socket errors %,7d  p99 %8.0f us",
                        connections, c.target.name, s.requestsPerSecond, s.statusErrors / s.seconds,
                        s.socketErrors(), s.p99Us));
                }
            }
            for (final Curve c : curves) {
                c.peakRssKib = ProcStats.peakRssKib(c.target.pids());
                if ("weir".equals(c.target.kind)) {
                    long plan = 0;
                    for (final Path log : c.target.logs()) {
                        final long one = WeirStats.planTotalBytes(log);
                        plan = plan < 0 || one < 0 ? -1 : plan + one;
                    }
                    c.planTotalBytes = plan;
                }
            }
        } finally {
            for (final Target t : group) {
                t.stop();
            }
        }
    }

    /** @return the per-point table, the per-target summary and the notes. */
    String table() {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-16s %6s %10s %10s %8s %8s %8s %8s %9s %7s %11s %9s%n", "target",
            "conns", "good/s", "non-2xx/s", "connect", "read", "write", "timeout", "p99 us", "CPU %", "rejected/s",
            "RSS MiB"));
        for (final Curve c : curves) {
            for (int i = 0; i < c.samples.size(); i++) {
                final Sample s = c.samples.get(i);
                sb.append(String.format(Locale.ROOT, "%-16s %6d %10.0f %10.0f %8d %8d %8d %8d %9.0f %7s %11s %9s%n",
                    c.target.name, c.connections.get(i), s.requestsPerSecond, s.statusErrors / s.seconds,
                    s.connectErrors, s.readErrors, s.writeErrors, s.timeouts, s.p99Us,
                    fmt("%.0f", s.cpuSeconds < 0 ? Double.NaN : 100 * s.cpuSeconds / s.seconds),
                    fmt("%.0f", s.rejectedPerSecond), s.rssKib < 0 ? "-" : fmt("%.1f", s.rssKib / 1024.0)));
            }
        }
        sb.append(String.format(Locale.ROOT, "%n%-16s %10s %8s %12s %9s %13s %10s %10s %10s %9s%n", "target",
            "peak good/s", "at conns", "good/s at max", "of peak", "RSS ready MiB", "VmHWM MiB", "growth MiB",
            "plan MiB", "HWM/plan"));
        for (final Curve c : curves) {
            if (c.samples.isEmpty()) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-16s %10.0f %8d %12.0f %8.0f%% %13s %10s %10s %10s %9s%n",
                c.target.name, c.peakGoodPerSecond(), c.peakAt(),
                c.samples.get(c.samples.size() - 1).requestsPerSecond, 100 * c.shareOfPeakAtHighest(),
                mib(c.readyRssKib), mib(c.peakRssKib),
                c.readyRssKib < 0 || c.peakRssKib < 0 ? "-" : mib(c.peakRssKib - c.readyRssKib),
                c.planTotalBytes < 0 ? "-" : mib(c.planTotalBytes / 1024),
                c.planTotalBytes <= 0 || c.peakRssKib < 0 ? "-"
                    : fmt("%.2f", c.peakRssKib * 1024.0 / c.planTotalBytes)));
        }
        for (final String note : notes) {
            sb.append("note: ").append(note).append('\n');
        }
        for (final Map.Entry<String, String> e : unavailable.entrySet()) {
            sb.append("unavailable: ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    /** @return the curve as JSON: the header, then per target its points and its memory. */
    String json(final Map<String, Object> header) {
        final Map<String, Object> root = new LinkedHashMap<>(header);
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("scenario", SCENARIO.name);
        settings.put("windowSeconds", durationS);
        settings.put("warmupSeconds", warmupS);
        settings.put("timeoutSeconds", timeoutS);
        settings.put("targetsRestartedPerPoint", false);
        root.put("curve", settings);
        final List<Object> targets = new ArrayList<>();
        for (final Curve c : curves) {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", c.target.name);
            m.put("kind", c.target.kind);
            m.put("processes", c.target.instances());
            final List<Object> pointList = new ArrayList<>();
            for (int i = 0; i < c.samples.size(); i++) {
                final Sample s = c.samples.get(i);
                final Map<String, Object> p = new LinkedHashMap<>();
                p.put("connections", c.connections.get(i));
                p.put("seconds", s.seconds);
                p.put("goodPerSecond", s.requestsPerSecond);
                p.put("non2xxPerSecond", s.statusErrors / s.seconds);
                p.put("good", s.requests);
                p.put("non2xx", s.statusErrors);
                p.put("connectErrors", s.connectErrors);
                p.put("readErrors", s.readErrors);
                p.put("writeErrors", s.writeErrors);
                p.put("timeouts", s.timeouts);
                p.put("p50Us", s.p50Us);
                p.put("p99Us", s.p99Us);
                p.put("proxyCpuSeconds", s.cpuSeconds < 0 ? null : s.cpuSeconds);
                p.put("proxyCpuPercent", s.cpuSeconds < 0 ? null : 100 * s.cpuSeconds / s.seconds);
                p.put("proxyCpuMicrosPerGood", s.cpuSeconds < 0 || s.requests == 0 ? null
                    : s.cpuSeconds * 1e6 / s.requests);
                p.put("rejectedPerSecond", s.rejectedPerSecond);
                p.put("rssKib", s.rssKib < 0 ? null : s.rssKib);
                pointList.add(p);
            }
            m.put("points", pointList);
            m.put("peakGoodPerSecond", c.peakGoodPerSecond());
            m.put("peakAtConnections", c.peakAt());
            m.put("shareOfPeakAtHighest", c.shareOfPeakAtHighest());
            m.put("rssAtReadyKib", c.readyRssKib < 0 ? null : c.readyRssKib);
            m.put("peakRssKib", c.peakRssKib < 0 ? null : c.peakRssKib);
            m.put("rssGrowthKib", c.readyRssKib < 0 || c.peakRssKib < 0 ? null : c.peakRssKib - c.readyRssKib);
            m.put("planTotalBytes", c.planTotalBytes < 0 ? null : c.planTotalBytes);
            m.put("peakRssOverPlan", c.planTotalBytes <= 0 || c.peakRssKib < 0 ? null
                : c.peakRssKib * 1024.0 / c.planTotalBytes);
            targets.add(m);
        }
        root.put("targets", targets);
        root.put("unavailable", new LinkedHashMap<String, Object>(unavailable));
        root.put("notes", new ArrayList<Object>(notes));
        return Json.write(root);
    }

    /** Writes the plot: good responses per second against offered connections (log scale), one line per target. */
    void plot(final Path png) throws IOException {
        final XYChart chart = new XYChartBuilder().width(1000).height(560)
            .title("Overload: GET 128 B, good responses/s vs offered connections (" + driver.name() + ")")
            .xAxisTitle("offered connections (log)").yAxisTitle("good (2xx) responses/s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLocale(Locale.ROOT);
        boolean any = false;
        for (final Curve c : curves) {
            if (c.samples.isEmpty()) {
                continue;
            }
            final double[] x = new double[c.samples.size()];
            final double[] y = new double[c.samples.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = c.connections.get(i);
                y[i] = c.samples.get(i).requestsPerSecond;
            }
            chart.addSeries(c.target.name, x, y).setMarker(SeriesMarkers.CIRCLE);
            any = true;
        }
        if (!any) {
            chart.addSeries("no data", new double[] {1, 10}, new double[] {0, 0});
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Prints the table, writes {@code stem.json} and {@code stem.png}; returns the JSON path. */
    Path write(final Path dir, final String stem, final Map<String, Object> header) throws IOException {
        out.println();
        out.print(table());
        Files.createDirectories(dir);
        final Path json = dir.resolve(stem + ".json");
        Files.writeString(json, json(header), StandardCharsets.UTF_8);
        plot(dir.resolve(stem + ".png"));
        return json;
    }

    private static String mib(final long kib) {
        return kib < 0 ? "-" : String.format(Locale.ROOT, "%.1f", kib / 1024.0);
    }

    private static String fmt(final String format, final double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, format, v);
    }
}
