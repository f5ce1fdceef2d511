package dev.weir.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SlotPool}: acquisition, return through the ring, accounting, and refused double releases.
 */
class SlotPoolTest {

    private static final int CAPACITY = 4;
    private static final long DEADLINE_SECONDS = 10;

    private Selector selector;
    private WakeSignal wake;
    private final int[] returned = new int[64];
    private final Thread[] returnedOn = new Thread[64];
    private int returnCount;

    @BeforeEach
    void open() throws IOException {
        selector = Selector.open();
        wake = new WakeSignal(selector);
    }

    @AfterEach
    void close() throws IOException {
        selector.close();
    }

    private void onReturned(final int slot) {
        returned[returnCount] = slot;
        returnedOn[returnCount] = Thread.currentThread();
        returnCount++;
    }

    private SlotPool<String> pool(final int capacity, final int ringSize) {
        return new SlotPool<>(capacity, ringSize, index -> "slot-" + index, wake, this::onReturned);
    }

    @Test
    void shouldBuildEverySlotUpFront() {
        final SlotPool<String> pool = pool(CAPACITY, CAPACITY);
        assertEquals(CAPACITY, pool.capacity());
        for (int i = 0; i < CAPACITY; i++) {
            assertEquals("slot-" + i, pool.slot(i));
        }
        assertEquals(CAPACITY, pool.available());
        assertEquals(0, pool.inUse());
    }

    @Test
    void shouldHandOutLowestIndexFirstThenNoSlotAndCountTheFailures() {
        final SlotPool<String> pool = pool(CAPACITY, CAPACITY);
        for (int i = 0; i < CAPACITY; i++) {
            assertEquals(i, pool.tryAcquire());
        }
        assertEquals(0, pool.available());
        assertEquals(SlotPool.NO_SLOT, pool.tryAcquire());
        assertEquals(SlotPool.NO_SLOT, pool.tryAcquire());
        assertEquals(2, pool.failedAcquisitions());
        assertEquals(CAPACITY, pool.inUse());
        assertEquals(CAPACITY, pool.highWaterMark());
    }

    @Test
    void shouldHandOutTheTopmostAcceptedSlotAndKeepTheRejectedOnesFree() {
        final SlotPool<String> pool = pool(CAPACITY, CAPACITY);
        final SlotPool.SlotFilter odd = slot -> slot % 2 == 1;
        assertEquals(1, pool.tryAcquire(odd), "slot 0 on top is passed over, not taken");
        assertEquals(3, pool.tryAcquire(odd));
        assertEquals(SlotPool.NO_MATCH, pool.tryAcquire(odd));
        assertEquals(0, pool.failedAcquisitions(), "free slots the filter refuses are not an exhausted pool");
        assertEquals(2, pool.inUse());
        assertEquals(0, pool.tryAcquire(), "the passed-over slots are still free, lowest on top");
        assertEquals(2, pool.tryAcquire());
        assertEquals(SlotPool.NO_SLOT, pool.tryAcquire(odd));
        assertEquals(1, pool.failedAcquisitions());
        assertEquals(StageRing.OFFERED, pool.release(1), "a slot taken through the filter is handed out");
    }

    @Test
    void shouldTellWhetherASlotIsFreeTakingBackReturnsWithoutCountingAFailure() {
        final SlotPool<String> pool = pool(CAPACITY, CAPACITY);
        for (int i = 0; i < CAPACITY; i++) {
            assertTrue(pool.hasFree());
            pool.tryAcquire();
        }
        assertFalse(pool.hasFree());
        assertEquals(0, pool.failedAcquisitions(), "asking is not a failed acquisition");
        pool.release(1);
        assertEquals(0, returnCount);
        assertTrue(pool.hasFree(), "a released slot counts once taken back");
        assertEquals(1, returnCount, "taken back, and the listener told, by asking");
        assertEquals(1, pool.tryAcquire());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldGiveBackASlotReleasedOnAnotherThreadAfterTellingTheListenerOnTheAcquiringThread() throws Exception {
        final SlotPool<String> pool = pool(CAPACITY, CAPACITY);
        for (int i = 0; i < CAPACITY; i++) {
            pool.tryAcquire();
        }
        final CountDownLatch released = new CountDownLatch(1);
        final int[] result = new int[1];
        final Thread releaser = new Thread(() -> {
            result[0] = pool.release(2);
            released.countDown();
        }, "releaser");
        releaser.start();
        assertTrue(released.await(DEADLINE_SECONDS, TimeUnit.SECONDS));
        releaser.join();
        assertEquals(StageRing.OFFERED, result[0]);
        assertEquals(0, returnCount, "the listener runs on the owner's next drain, not on the releasing thread");
        assertTrue(pool.hasReturns());
        assertEquals(CAPACITY, pool.inUse(), "released but not drained counts as in use");
        assertEquals(1, pool.available(), "released but not drained counts as available");

        assertEquals(2, pool.tryAcquire());
        assertEquals(1, returnCount);
        assertEquals(2, returned[0]);
        assertSame(Thread.currentThread(), returnedOn[0]);
        assertFalse(pool.hasReturns());
        assertEquals(0, pool.failedAcquisitions());
    }

    @Test
    void shouldAccountInUseAvailableAndHighWaterMark() {
        final SlotPool<String> pool = pool(CAPACITY, 8);
        final int a = pool.tryAcquire();
        final int b = pool.tryAcquire();
        final int c = pool.tryAcquire();
        assertEquals(3, pool.highWaterMark());
        pool.release(a);
        pool.release(c);
        assertEquals(3, pool.inUse());
        assertEquals(3, pool.available());
        assertTrue(pool.drainReturns());
        assertFalse(pool.drainReturns());
        assertEquals(1, pool.inUse());
        assertEquals(3, pool.available());
        assertEquals(2, returnCount);
        assertEquals(a, returned[0]);
        assertEquals(c, returned[1]);
        pool.tryAcquire();
        assertEquals(2, pool.inUse());
        assertEquals(3, pool.highWaterMark(), "high-water mark keeps the peak");
        pool.release(b);
        pool.drainReturns();
        assertEquals(1, pool.inUse());
        assertEquals(3, pool.available());
    }

    @Test
    void shouldRefuseTheSecondReleaseOfASlot() {
        final SlotPool<String> pool = pool(1, 2);
        final int slot = pool.tryAcquire();
        assertEquals(StageRing.OFFERED, pool.release(slot));
        assertEquals(SlotPool.NOT_ACQUIRED, pool.release(slot));
        assertTrue(pool.drainReturns());
        assertEquals(1, returnCount, "the listener hears of the slot once");
        assertEquals(0, pool.inUse());
    }

    @Test
    void shouldRefuseADoubleReleaseWhileAnotherSlotIsInUseAndNeverHandOutASlotTwice() {
        final SlotPool<String> pool = pool(2, 4);
        assertEquals(0, pool.tryAcquire());
        assertEquals(1, pool.tryAcquire());
        assertEquals(StageRing.OFFERED, pool.release(0));
        assertEquals(SlotPool.NOT_ACQUIRED, pool.release(0));
        assertTrue(pool.drainReturns());
        assertEquals(1, pool.inUse(), "slot 1 is still held");
        assertEquals(0, pool.tryAcquire());
        assertEquals(SlotPool.NO_SLOT, pool.tryAcquire(), "slot 0 must not be handed out a second time");
    }

    @Test
    void shouldRefuseReleaseOfASlotNeverAcquired() {
        final SlotPool<String> pool = pool(2, 2);
        assertEquals(SlotPool.NOT_ACQUIRED, pool.release(1));
        assertEquals(0, pool.inUse());
        assertEquals(2, pool.available());
    }

    @Test
    void shouldRejectReturnRingSmallerThanCapacityOrNotAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> pool(8, 4));
        assertThrows(IllegalArgumentException.class, () -> pool(0, 4));
        assertThrows(IllegalArgumentException.class, () -> pool(3, 3));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNeverHandOutASlotThatIsInUseWhileAnotherThreadReleases() throws Exception {
        final int cycles = 200_000;
        final boolean[] held = new boolean[CAPACITY];
        final SlotPool<String> pool = new SlotPool<>(CAPACITY, CAPACITY, index -> "s" + index, wake,
            slot -> held[slot] = false);
        final BlockingQueue<Integer> toRelease = new ArrayBlockingQueue<>(CAPACITY);
        final Thread releaser = new Thread(() -> {
            try {
                for (int i = 0; i < cycles; i++) {
                    final int slot = toRelease.take();
                    if (pool.release(slot) != StageRing.OFFERED) {
                        throw new IllegalStateException("return ring full");
                    }
                }
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }, "releaser");
        releaser.start();
        // The owner marks a slot held when it gets it; the listener, on the owner thread, clears the mark when
        // the pool takes the slot back. A slot handed out while still marked was handed out twice.
        for (int i = 0; i < cycles; i++) {
            int slot;
            while ((slot = pool.tryAcquire()) == SlotPool.NO_SLOT) {
                Thread.onSpinWait();
            }
            assertFalse(held[slot], "slot " + slot + " handed out twice");
            held[slot] = true;
            toRelease.put(slot);
        }
        releaser.join();
        pool.drainReturns();
        assertEquals(0, pool.inUse());
        assertEquals(CAPACITY, pool.available());
        assertEquals(CAPACITY, pool.highWaterMark());
        for (int slot = 0; slot < CAPACITY; slot++) {
            assertFalse(held[slot], "slot " + slot + " never came back");
        }
    }
}
