package dev.weir.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class PoolCountersTest {

    @Test
    void shouldStartAtZeroWithTheGivenCapacity() {
        final PoolCounters counters = new PoolCounters(8);
        assertEquals(8, counters.capacity());
        assertEquals(0, counters.inUse());
        assertEquals(0, counters.highWaterMark());
        assertEquals(0, counters.failedAcquisitions());
    }

    @Test
    void shouldKeepTheHighWaterMarkWhenUnitsAreReleased() {
        final PoolCounters counters = new PoolCounters(8);
        counters.onAcquire();
        counters.onAcquire();
        counters.onAcquire();
        counters.onRelease();
        counters.onRelease();
        counters.onAcquire();
        assertEquals(2, counters.inUse());
        assertEquals(3, counters.highWaterMark());
    }

    @Test
    void shouldCountFailedAcquisitionsWithoutChangingInUse() {
        final PoolCounters counters = new PoolCounters(1);
        counters.onAcquire();
        counters.onFailedAcquire();
        counters.onFailedAcquire();
        assertEquals(2, counters.failedAcquisitions());
        assertEquals(1, counters.inUse());
    }

    @Test
    void shouldBeReadableFromAnotherThread() throws InterruptedException {
        final PoolCounters counters = new PoolCounters(4);
        counters.onAcquire();
        counters.onFailedAcquire();
        final AtomicLong seen = new AtomicLong();
        // Thread.start/join order the writes before the reader; this checks the accessors, not the fence.
        final Thread reader = new Thread(() -> seen.set(counters.inUse() * 10 + counters.failedAcquisitions()));
        reader.start();
        reader.join();
        assertEquals(11, seen.get());
    }

    @Test
    void shouldRejectNegativeCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new PoolCounters(-1));
    }
}
