package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.weir.conn.ConnectionSlot;

class ExchangeMetricsTest {

    private final ExchangeMetrics metrics = new ExchangeMetrics();
    private final ConnectionSlot slot = new ConnectionSlot(0);

    /** An exchange whose answer reached the client (none for status 0) after {@code latencyNanos}, or -1. */
    private void end(final int status, final long latencyNanos) {
        metrics.record(status, latencyNanos < 0 ? ExchangeMetrics.NO_LATENCY : latencyNanos);
    }

    @Test
    void shouldTakeTheStatusSentAndTimeRequestsButNotTunnels() {
        slot.facts.begin();
        slot.facts.status = 200;
        slot.facts.startNanos = System.nanoTime();
        metrics.onExchangeEnd(slot);
        assertEquals(1, metrics.exchanges(0), "no byte reached the client: no status was sent");
        slot.facts.bytesSent = 100;
        metrics.onExchangeEnd(slot);
        assertEquals(1, metrics.exchanges(2));
        assertEquals(2, metrics.latencyCount());
        slot.facts.status = 101;
        metrics.onExchangeEnd(slot);
        assertEquals(1, metrics.exchanges(1));
        assertEquals(2, metrics.latencyCount(), "a tunnel's life is no request latency");
    }

    @Test
    void shouldCountEachStatusInItsClassAndNoStatusAsNone() {
        end(101, 1_000);
        end(200, 1_000);
        end(204, 1_000);
        end(304, 1_000);
        end(404, 1_000);
        end(503, 1_000);
        end(0, 1_000);
        end(999, 1_000);
        assertEquals(2, metrics.exchanges(0));
        assertEquals(1, metrics.exchanges(1));
        assertEquals(2, metrics.exchanges(2));
        assertEquals(1, metrics.exchanges(3));
        assertEquals(1, metrics.exchanges(4));
        assertEquals(1, metrics.exchanges(5));
    }

    @Test
    void shouldPutEachLatencyInTheFirstBucketWhoseBoundHoldsIt() {
        end(200, 100_000);
        end(200, 3_000_000);
        end(200, 60_000_000_000L);
        assertEquals(1, metrics.bucket(0), "0.1 ms <= 0.5 ms");
        assertEquals(1, metrics.bucket(3), "3 ms in (2.5 ms, 5 ms]");
        assertEquals(1, metrics.bucket(ExchangeMetrics.BUCKETS), "60 s in +Inf");
        assertEquals(3, metrics.latencyCount());
        assertTrue(metrics.latencySumNanos() >= 60_003_100_000L);
        assertEquals(0.0005, ExchangeMetrics.bucketBoundSeconds(0));
        assertEquals(10.0, ExchangeMetrics.bucketBoundSeconds(ExchangeMetrics.BUCKETS - 1));
    }

    @Test
    void shouldCountTheStatusButNoLatencyWhenNoRequestByteWasRead() {
        end(408, -1);
        assertEquals(1, metrics.exchanges(4));
        assertEquals(0, metrics.latencyCount());
    }

    @Test
    void shouldAllocateNothingPerExchange() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 100_000; i++) {
            end(200, 1_000);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            end(200 + i % 400, i * 1_000L);
        }
        assertEquals(0, threads.getCurrentThreadAllocatedBytes() - before);
    }
}
