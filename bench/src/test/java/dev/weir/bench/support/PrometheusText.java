package dev.weir.bench.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Parses Prometheus text exposition with the reference parser of the official Python client,
 * {@code prometheus_client.parser.text_string_to_metric_families} (Debian: {@code python3-prometheus-client}),
 * run in a child {@code python3}. The parser rejects text that is not valid exposition format; each sample it
 * yields comes back as one tab-separated line, {@code type, sample name, labels (k=v sorted, comma-joined),
 * value}, which this class only splits.
 * <p>
 * <b>Note:</b> {@link #python()} says whether the parser is available; tests skip, naming the reason, when not.
 */
public final class PrometheusText {

    /** Interpreters tried in order: Debian's, where the Debian package installs the module, then PATH's. */
    private static final List<String> PYTHONS = List.of("/usr/bin/python3", "python3");
    private static final String SCRIPT = String.join("\n",
        "import sys",
        "from prometheus_client.parser import text_string_to_metric_families",
        "for family in text_string_to_metric_families(sys.stdin.read()):",
        "    for s in family.samples:",
        "        labels = ','.join(k + '=' + v for k, v in sorted(s.labels.items()))",
        "        print(family.type + '\\t' + s.name + '\\t' + labels + '\\t' + repr(float(s.value)))");

    private final Map<String, Double> samples;
    private final Map<String, String> types;

    private PrometheusText(final Map<String, Double> samples, final Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    /**
     * @return a {@code python3} that imports {@code prometheus_client.parser}, or {@code null} when none does.
     */
    public static String python() {
        for (final String python : PYTHONS) {
            try {
                final Process probe = new ProcessBuilder(python, "-c", "import prometheus_client.parser")
                    .redirectErrorStream(true).start();
                probe.getInputStream().readAllBytes();
                if (probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                    return python;
                }
            } catch (final IOException e) {
                // Not installed here: try the next.
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /**
     * Parse exposition text.
     *
     * @param python the interpreter from {@link #python()}.
     * @param text   the scraped text.
     * @return every sample.
     * @throws IOException when the child cannot be run.
     * @throws InterruptedException when interrupted.
     * @throws AssertionError with the parser's message when the text does not parse.
     */
    public static PrometheusText parse(final String python, final String text)
        throws IOException, InterruptedException {
        final Process parser = new ProcessBuilder(python, "-c", SCRIPT).start();
        try (OutputStream in = parser.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        final String out = new String(parser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(parser.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!parser.waitFor(30, TimeUnit.SECONDS) || parser.exitValue() != 0) {
            throw new AssertionError("prometheus_client could not parse the exposition: " + err + "\n" + text);
        }
        final Map<String, Double> samples = new LinkedHashMap<>();
        final Map<String, String> types = new LinkedHashMap<>();
        for (final String line : out.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            final String[] field = line.split("\t", -1);
            final String key = field[2].isEmpty() ? field[1] : field[1] + "{" + field[2] + "}";
            samples.put(key, Double.valueOf(field[3]));
            types.put(field[1], field[0]);
        }
        return new PrometheusText(samples, types);
    }

    /**
     * @param sample a sample name with its labels sorted, e.g. {@code weir_requests_total{status_class=2xx}}.
     * @return its value.
     * @throws AssertionError when the exposition has no such sample.
     */
    public double value(final String sample) {
        final Double value = samples.get(sample);
        if (value == null) {
            throw new AssertionError("no sample " + sample + " in " + samples.keySet());
        }
        return value;
    }

    /**
     * @param sample a sample name without labels, e.g. {@code weir_requests_total}.
     * @return the metric type the parser gave its family: {@code counter}, {@code gauge}, {@code histogram}.
     */
    public String type(final String sample) {
        return types.get(sample);
    }

    /** @return every sample, name with sorted labels to value. */
    public Map<String, Double> samples() {
        return samples;
    }
}
