package dev.weir.bench.harness;

import dev.weir.bench.load.LoadGenerator;
import dev.weir.bench.load.LoadOptions;
import dev.weir.bench.load.LoadResult;

/**
 * Drives load with the bundled {@link LoadGenerator}, in the harness's own JVM (pinned with it): a closed loop,
 * or a fixed total rate with latency measured from each request's intended start (no coordinated omission), which
 * shows a proxy's latency below its capacity, as open-loop traffic meets it.
 */
final class BuiltinDriver implements LoadDriver {

    private final int threads;
    private final double ratePerSecond;

    /**
     * @param threads       NIO threads of the generator.
     * @param ratePerSecond fixed total rate in requests/s, or 0 for a closed loop.
     */
    BuiltinDriver(final int threads, final double ratePerSecond) {
        this.threads = threads;
        this.ratePerSecond = ratePerSecond;
    }

    /** @return the fixed total rate in requests/s, 0 for a closed loop. */
    double ratePerSecond() {
        return ratePerSecond;
    }

    @Override
    public String name() {
        return "builtin";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public Sample run(final int port, final Scenario scenario, final int connections, final int seconds,
        final int timeoutSeconds) throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(port).path(scenario.path)
            .method(scenario.method).requestBodyBytes(scenario.requestBodyBytes).connections(connections)
            .threads(Math.min(threads, connections)).durationMs(seconds * 1000L)
            .expectBodyBytes(scenario.responseBodyBytes).requestTimeoutMs(timeoutSeconds * 1000L)
            .ratePerSecond(ratePerSecond));
        final Sample s = new Sample();
        s.requests = r.requests();
        s.errors = r.errors();
        s.statusErrors = r.statusErrors();
        s.connectErrors = r.connectErrors();
        s.readErrors = r.ioErrors();
        s.timeouts = r.timeouts();
        s.seconds = r.seconds();
        s.requestsPerSecond = r.requestsPerSecond();
        s.p50Us = r.percentileMicros(50);
        s.p99Us = r.percentileMicros(99);
        s.p999Us = r.percentileMicros(99.9);
        s.maxUs = r.latencyNs().getMaxValue() / 1000.0;
        return s;
    }
}
