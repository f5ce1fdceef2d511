package dev.weir.bench.harness;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns rows into the printed table, the ratios, the JSON file and the PNG plot.
 */
final class Report {

    private static final String[] RATIOS = {"weir/nginx", "weir/haproxy", "weir/direct", "nginx/direct",
        "haproxy/direct"};

    /** Medians further apart than this factor are plotted on a log axis. */
    private static final double LOG_AXIS_SPAN = 20;

    private final List<Row> rows;
    private final Map<String, String> unavailable;
    private final List<Scenario> scenarios;
    private final List<String> notes = new ArrayList<>();

    Report(final List<Row> rows, final Map<String, String> unavailable, final List<Scenario> scenarios) {
        this.rows = rows;
        this.unavailable = unavailable;
        this.scenarios = scenarios;
    }

    /**
     * Adds a line printed under the table (e.g. that the load generator shares the proxies' cores).
     *
     * @param note the line.
     * @return this.
     */
    Report note(final String note) {
        notes.add(note);
        return this;
    }

    String table() {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-24s %8s %22s %9s %9s %9s %7s %9s %9s %9s %5s %9s%n",
            "target", "scenario", "req/s median ± spread", "p50 us", "p99 us", "p99.9 us", "errors", "CPU s",
            "CPU us/req", "RSS MiB", "GCs", "alloc B/r"));
        for (final Row r : rows) {
            if (r.samples.isEmpty()) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-24s %8s %13s ± %5.1f%% %9.0f %9.0f %9.0f %7d %9s %9s %9s %5s %9s%n",
                r.target.name, r.scenario.name, String.format(Locale.ROOT, "%,.0f", r.rpsMedian()),
                r.spreadPercent(), r.median(s -> s.p50Us), r.median(s -> s.p99Us), r.median(s -> s.p999Us),
                r.errors(), fmt("%.2f", r.median(s -> s.cpuSeconds < 0 ? Double.NaN : s.cpuSeconds)),
                fmt("%.1f", r.cpuMicrosPerRequest()), r.peakRssKib < 0 ? "-" : String.format(Locale.ROOT, "%.1f",
                    r.peakRssKib / 1024.0), r.gcCount() < 0 ? "-" : Long.toString(r.gcCount()),
                fmt("%.0f", r.median(s -> s.allocBytesPerRequest))));
        }
        sb.append(ratioTable());
        for (final String note : notes) {
            sb.append("note: ").append(note).append('\n');
        }
        for (final Map.Entry<String, String> e : unavailable.entrySet()) {
            sb.append("unavailable: ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    private String ratioTable() {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nratios of median req/s  "));
        for (final Scenario scenario : scenarios) {
            sb.append(String.format(Locale.ROOT, "%10s", scenario.name));
        }
        sb.append('\n');
        for (final String ratio : ratioNames()) {
            sb.append(String.format(Locale.ROOT, "%-24s", ratio));
            for (final Scenario scenario : scenarios) {
                sb.append(String.format(Locale.ROOT, "%10s", fmt("%.2f", ratio(ratio, scenario.name))));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private List<String> ratioNames() {
        final List<String> names = new ArrayList<>();
        // The one figure a --baseline run is for comes first; without a baseline the row would only say "-".
        if (rows.stream().anyMatch(r -> Targets.WEIR_BASELINE.equals(r.target.name))) {
            names.add("weir/" + Targets.WEIR_BASELINE);
        }
        // What the access log costs: the same Weir with and without it, measured side by side.
        if (rows.stream().anyMatch(r -> Targets.WEIR_LOG.equals(r.target.name))) {
            names.add(Targets.WEIR_LOG + "/weir");
        }
        // The 2-core mode's second way to use both cores: two single-threaded processes on one port.
        if (rows.stream().anyMatch(r -> Targets.WEIR_REUSEPORT.equals(r.target.name))) {
            names.addAll(List.of(Targets.WEIR_REUSEPORT + "/weir", Targets.WEIR_REUSEPORT + "/nginx",
                Targets.WEIR_REUSEPORT + "/haproxy"));
        }
        names.addAll(List.of(RATIOS));
        for (final Row r : rows) {
            if (r.target.sweepValue != null && !names.contains(r.target.name + "/direct")) {
                names.add(r.target.name + "/direct");
            }
        }
        return names;
    }

    /** @return the ratio of two targets' median req/s in one scenario, or NaN when either is missing. */
    double ratio(final String ratio, final String scenario) {
        final int slash = ratio.lastIndexOf('/');
        return rps(ratio.substring(0, slash), scenario) / rps(ratio.substring(slash + 1), scenario);
    }

    private double rps(final String target, final String scenario) {
        for (final Row r : rows) {
            if (r.target.name.equals(target) && r.scenario.name.equals(scenario) && !r.samples.isEmpty()) {
                return r.rpsMedian();
            }
        }
        return Double.NaN;
    }

    String json(final Map<String, Object> header) {
        final Map<String, Object> root = new LinkedHashMap<>(header);
        final List<Object> rowList = new ArrayList<>();
        for (final Row r : rows) {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", r.target.name);
            m.put("kind", r.target.kind);
            m.put("sweepValue", r.target.sweepValue);
            m.put("scenario", r.scenario.name);
            m.put("method", r.scenario.method);
            m.put("path", r.scenario.path);
            m.put("requestBodyBytes", r.scenario.requestBodyBytes);
            m.put("bodyBytes", r.scenario.responseBodyBytes);
            m.put("connections", r.connections);
            m.put("rounds", r.samples.size());
            m.put("rpsMedian", r.rpsMedian());
            m.put("rpsMin", r.rpsMin());
            m.put("rpsMax", r.rpsMax());
            m.put("spreadPercent", r.spreadPercent());
            m.put("p50Us", r.median(s -> s.p50Us));
            m.put("p99Us", r.median(s -> s.p99Us));
            m.put("p999Us", r.median(s -> s.p999Us));
            m.put("maxUs", r.median(s -> s.maxUs));
            m.put("requests", r.requests());
            m.put("errors", r.errors());
            m.put("non2xx", r.samples.stream().mapToLong(s -> s.statusErrors).sum());
            m.put("socketErrors", r.samples.stream().mapToLong(Sample::socketErrors).sum());
            m.put("proxyCpuSecondsMedian", r.median(s -> s.cpuSeconds < 0 ? Double.NaN : s.cpuSeconds));
            m.put("proxyCpuMicrosPerRequest", r.cpuMicrosPerRequest());
            m.put("proxyPeakRssKib", r.peakRssKib < 0 ? null : r.peakRssKib);
            m.put("gcCount", r.gcCount() < 0 ? null : r.gcCount());
            m.put("allocBytesPerRequest", r.median(s -> s.allocBytesPerRequest));
            m.put("allocSource", r.samples.stream().anyMatch(s -> s.allocExact) ? "weir-stats"
                : r.samples.stream().anyMatch(s -> !Double.isNaN(s.allocBytesPerRequest)) ? "jstat-estimate" : null);
            final List<Object> samples = new ArrayList<>();
            for (final Sample s : r.samples) {
                samples.add(s.requestsPerSecond);
            }
            m.put("rpsSamples", samples);
            rowList.add(m);
        }
        root.put("rows", rowList);
        final Map<String, Object> ratios = new LinkedHashMap<>();
        for (final String ratio : ratioNames()) {
            final Map<String, Object> byScenario = new LinkedHashMap<>();
            for (final Scenario scenario : scenarios) {
                byScenario.put(scenario.name, ratio(ratio, scenario.name));
            }
            ratios.put(ratio, byScenario);
        }
        root.put("ratios", ratios);
        root.put("unavailable", new LinkedHashMap<String, Object>(unavailable));
        root.put("notes", new ArrayList<Object>(notes));
        return Json.write(root);
    }

    /** Writes the plot: median req/s per target (or per swept value) and scenario, with min-max error bars. */
    void plot(final Path png, final String title) throws IOException {
        final CategoryChart chart = new CategoryChartBuilder().width(1000).height(560).title(title)
            .xAxisTitle("scenario").yAxisTitle("requests/s (median over rounds)").build();
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setLocale(Locale.ROOT);
        final List<String> labels = new ArrayList<>();
        for (final Scenario scenario : scenarios) {
            labels.add(scenario.name);
        }
        final Map<String, List<Row>> byTarget = new LinkedHashMap<>();
        for (final Row r : rows) {
            if (!r.samples.isEmpty()) {
                byTarget.computeIfAbsent(r.target.name, k -> new ArrayList<>()).add(r);
            }
        }
        // 1 MiB answers come a hundred times slower than 128 B ones: on a linear axis their bars vanish. A log axis
        // needs every bar above zero and cannot draw min-max bars that reach below it, so it goes without them.
        final double[] medians = rows.stream().filter(r -> !r.samples.isEmpty()).mapToDouble(Row::rpsMedian)
            .toArray();
        final boolean log = medians.length > 0 && java.util.Arrays.stream(medians).allMatch(m -> m > 0)
            && java.util.Arrays.stream(medians).max().getAsDouble()
                > LOG_AXIS_SPAN * java.util.Arrays.stream(medians).min().getAsDouble();
        if (log) {
            chart.getStyler().setYAxisLogarithmic(true);
            // Bars start at the axis minimum, which XChart otherwise puts at zero.
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(
                java.util.Arrays.stream(medians).min().getAsDouble()))));
            chart.setYAxisTitle("requests/s (median over rounds, log scale)");
        }
        for (final Map.Entry<String, List<Row>> e : byTarget.entrySet()) {
            final List<Double> y = new ArrayList<>();
            final List<Double> err = new ArrayList<>();
            for (final Scenario scenario : scenarios) {
                final Row row = e.getValue().stream().filter(r -> r.scenario == scenario).findFirst().orElse(null);
                if (row != null) {
                    y.add(row.rpsMedian());
                } else {
                    // A gap: a log axis has no zero.
                    y.add(log ? null : Double.valueOf(0));
                }
                err.add(row == null ? 0.0 : (row.rpsMax() - row.rpsMin()) / 2);
            }
            if (log) {
                chart.addSeries(e.getKey(), labels, y);
            } else {
                chart.addSeries(e.getKey(), labels, y, err);
            }
        }
        if (byTarget.isEmpty()) {
            chart.addSeries("no data", labels, zeros(labels.size()));
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<Double> zeros(final int n) {
        final List<Double> z = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            z.add(0.0);
        }
        return z;
    }

    /** Writes JSON and PNG with a timestamped name and copies them to {@code latest.*}; returns the JSON path. */
    Path write(final Path dir, final String stem, final Map<String, Object> header, final String title)
        throws IOException {
        Files.createDirectories(dir);
        final Path json = dir.resolve(stem + ".json");
        final Path png = dir.resolve(stem + ".png");
        Files.writeString(json, json(header), StandardCharsets.UTF_8);
        plot(png, title);
        Files.copy(json, dir.resolve("latest.json"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(png, dir.resolve("latest.png"), StandardCopyOption.REPLACE_EXISTING);
        return json;
    }

    private static String fmt(final String format, final double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, format, v);
    }
}
