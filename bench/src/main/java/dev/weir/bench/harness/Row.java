package dev.weir.bench.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * All samples of one target in one scenario, and their summary over rounds (medians and spread).
 */
final class Row {

    final Target target;
    final Scenario scenario;
    /** Keep-alive connections the load generator held. */
    final int connections;
    final List<Sample> samples = new ArrayList<>();
    long peakRssKib = -1;

    Row(final Target target, final Scenario scenario, final int connections) {
        this.target = target;
        this.scenario = scenario;
        this.connections = connections;
    }

    double rpsMedian() {
        return median(s -> s.requestsPerSecond);
    }

    double rpsMin() {
        return samples.stream().mapToDouble(s -> s.requestsPerSecond).min().orElse(Double.NaN);
    }

    double rpsMax() {
        return samples.stream().mapToDouble(s -> s.requestsPerSecond).max().orElse(Double.NaN);
    }

    /** @return (max - min) / median of requests/s, in percent. */
    double spreadPercent() {
        return 100 * (rpsMax() - rpsMin()) / rpsMedian();
    }

    long errors() {
        return samples.stream().mapToLong(s -> s.errors).sum();
    }

    long requests() {
        return samples.stream().mapToLong(s -> s.requests).sum();
    }

    /** @return proxy CPU microseconds per request over all rounds, or NaN. */
    double cpuMicrosPerRequest() {
        final double cpu = samples.stream().mapToDouble(s -> s.cpuSeconds).sum();
        return samples.isEmpty() || samples.get(0).cpuSeconds < 0 ? Double.NaN : cpu * 1e6 / requests();
    }

    /** @return GC cycles over all measured windows, or -1. */
    long gcCount() {
        return samples.isEmpty() || samples.get(0).gcCount < 0 ? -1
            : samples.stream().mapToLong(s -> s.gcCount).sum();
    }

    double median(final ToDoubleFunction<Sample> f) {
        final double[] v = samples.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static String sizeLabel(final int bytes) {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + " MiB";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return bytes / 1024 + " KiB";
        }
        return bytes + " B";
    }

    @Override
    public String toString() {
        return target.name + " " + scenario.name + " " + Arrays.toString(
            samples.stream().mapToDouble(s -> s.requestsPerSecond).toArray());
    }
}
