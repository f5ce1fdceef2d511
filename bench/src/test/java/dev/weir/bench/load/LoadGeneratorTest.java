package dev.weir.bench.load;

import dev.weir.bench.origin.DemoOrigin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoadGeneratorTest {

    private static DemoOrigin origin;

    @BeforeAll
    static void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, 1);
    }

    @AfterAll
    static void stop() {
        origin.close();
    }

    @Test
    void shouldCompleteExactlyTheRequestedCountWithoutErrors() throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(origin.port()).path("/bytes/128")
            .connections(2).requests(400).expectBodyBytes(128).verifyPattern(true).maxRunMs(20_000));
        assertEquals(400, r.requests(), r.summary());
        assertEquals(0, r.errors(), r.summary());
        assertEquals(400 * 128, r.bodyBytes());
        assertEquals(400, r.latencyNs().getTotalCount());
        assertFalse(r.timedOut());
    }

    @Test
    void shouldVerifyChunkedBodiesOnSeveralThreads() throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(origin.port()).path("/chunked/40000")
            .connections(4).threads(2).requests(200).expectBodyBytes(40_000).verifyPattern(true).maxRunMs(20_000));
        assertEquals(200, r.requests(), r.summary());
        assertEquals(0, r.errors(), r.summary());
    }

    @Test
    void shouldCountWrongBodyLengthsAsErrors() throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(origin.port()).path("/bytes/100")
            .connections(1).requests(20).expectBodyBytes(128).maxRunMs(20_000));
        assertEquals(0, r.requests());
        assertEquals(20, r.bodyErrors(), r.summary());
    }

    @Test
    void shouldCountUnexpectedStatusesAsErrors() throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(origin.port()).path("/missing")
            .connections(1).requests(10).maxRunMs(20_000));
        assertEquals(10, r.statusErrors(), r.summary());
    }

    @Test
    void shouldStopAtTheDurationWhenTheTargetRefusesConnections() throws Exception {
        final int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        final long t0 = System.nanoTime();
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(closedPort).connections(2).durationMs(300));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 10_000);
        assertEquals(0, r.requests());
        assertTrue(r.connectErrors() > 0, r.summary());
    }

    @Test
    void shouldChargeLatencyFromTheIntendedStartInFixedRateMode() throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(origin.port()).path("/delay/50")
            .connections(1).ratePerSecond(100).durationMs(1_000).maxRunMs(20_000));
        // One connection, 50 ms per answer, scheduled every 10 ms: requests queue behind each other, and the
        // corrected latency must show that queueing while the uncorrected one does not.
        assertTrue(r.requests() > 0, r.summary());
        assertTrue(r.latencyNs().getMaxValue() > 3 * r.uncorrectedNs().getMaxValue(), r.summary());
    }

    @Test
    void shouldRefuseNonLoopbackTargets() {
        assertThrows(IllegalArgumentException.class,
            () -> LoadGenerator.run(new LoadOptions().host("192.0.2.1").port(80).requests(1)));
    }
}
