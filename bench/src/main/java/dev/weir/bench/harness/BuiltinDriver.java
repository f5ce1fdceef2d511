package dev.weir.bench.harness;

import dev.weir.bench.load.LoadGenerator;
import dev.weir.bench.load.LoadOptions;
import dev.weir.bench.load.LoadResult;

/**
 * Drives load with the bundled {@link LoadGenerator}, in the harness's own JVM (pinned with it).
 */
final class BuiltinDriver implements LoadDriver {

    @Override
    public String name() {
        return "builtin";
    }

    @Override
    public Sample run(final int port, final String path, final long bodyBytes, final int connections,
        final int seconds) throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(port).path(path).connections(connections)
            .threads(1).durationMs(seconds * 1000L).expectBodyBytes(bodyBytes).requestTimeoutMs(5_000));
        final Sample s = new Sample();
        s.requests = r.requests();
        s.errors = r.errors();
        s.seconds = r.seconds();
        s.requestsPerSecond = r.requestsPerSecond();
        s.p50Us = r.percentileMicros(50);
        s.p99Us = r.percentileMicros(99);
        s.p999Us = r.percentileMicros(99.9);
        s.maxUs = r.latencyNs().getMaxValue() / 1000.0;
        return s;
    }
}
