package dev.weir.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.lmax.disruptor.EventPoller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link StageRing}: order, capacity, sizing and a two-thread hand-off.
 */
class StageRingTest {

    private Selector selector;
    private WakeSignal wake;

    @BeforeEach
    void open() throws IOException {
        selector = Selector.open();
        wake = new WakeSignal(selector);
    }

    @AfterEach
    void close() throws IOException {
        selector.close();
    }

    /** Records polled slots into an array; a field-style handler as a stage would hold. */
    private static final class Recorder implements EventPoller.Handler<HandoffEvent> {
        final int[] slots;
        int count;

        Recorder(final int capacity) {
            slots = new int[capacity];
        }

        @Override
        public boolean onEvent(final HandoffEvent event, final long sequence, final boolean endOfBatch) {
            slots[count++] = event.slot();
            return true;
        }
    }

    @Test
    void shouldPollSlotsInOfferOrder() throws Exception {
        final StageRing ring = new StageRing("test", 8, wake);
        final Recorder recorder = new Recorder(8);
        assertFalse(ring.poll(recorder));
        for (final int slot : new int[] {5, 3, 7, 0}) {
            assertEquals(StageRing.OFFERED, ring.offer(slot));
        }
        assertTrue(ring.hasPending());
        assertEquals(4, ring.pending());
        assertTrue(ring.poll(recorder));
        assertEquals(4, recorder.count);
        assertEquals(5, recorder.slots[0]);
        assertEquals(3, recorder.slots[1]);
        assertEquals(7, recorder.slots[2]);
        assertEquals(0, recorder.slots[3]);
        assertFalse(ring.hasPending());
        assertFalse(ring.poll(recorder));
    }

    @Test
    void shouldAcceptSizeOffersThenReportRingFullUntilPolled() throws Exception {
        final StageRing ring = new StageRing("test", 16, wake);
        assertEquals(16, ring.capacity());
        for (int i = 0; i < 16; i++) {
            assertEquals(StageRing.OFFERED, ring.offer(i), "offer " + i);
        }
        assertEquals(StageRing.RING_FULL, ring.offer(16));
        assertEquals(StageRing.RING_FULL, ring.offer(17));
        final Recorder recorder = new Recorder(16);
        assertTrue(ring.poll(recorder));
        assertEquals(16, recorder.count);
        assertEquals(15, recorder.slots[15]);
        assertEquals(StageRing.OFFERED, ring.offer(16));
    }

    @Test
    void shouldStopTheBatchWhenTheHandlerReturnsFalse() throws Exception {
        final StageRing ring = new StageRing("test", 4, wake);
        ring.offer(1);
        ring.offer(2);
        final int[] seen = new int[2];
        final EventPoller.Handler<HandoffEvent> one = (event, sequence, endOfBatch) -> {
            seen[0]++;
            seen[1] = event.slot();
            return false;
        };
        assertTrue(ring.poll(one));
        assertEquals(1, seen[0]);
        assertEquals(1, seen[1]);
        assertTrue(ring.hasPending());
        assertTrue(ring.poll(one));
        assertEquals(2, seen[1]);
        assertFalse(ring.hasPending());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 3, 6, 1000, Integer.MIN_VALUE})
    void shouldRejectRingSizeThatIsNotAPowerOfTwo(final int size) {
        assertThrows(IllegalArgumentException.class, () -> new StageRing("bad", size, wake));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldDeliverEverySlotInOrderFromAProducerThreadToAConsumerThread() throws Exception {
        final int total = 1_000_000;
        final StageRing ring = new StageRing("handoff", 1024, wake);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread producer = new Thread(() -> {
            for (int i = 0; i < total; i++) {
                while (ring.offer(i) == StageRing.RING_FULL) {
                    Thread.onSpinWait();
                }
            }
        }, "producer");
        final long[] received = new long[1];
        final EventPoller.Handler<HandoffEvent> checker = (event, sequence, endOfBatch) -> {
            if (event.slot() != received[0]) {
                failure.compareAndSet(null, new AssertionError("expected " + received[0] + " got " + event.slot()));
            }
            received[0]++;
            return true;
        };
        producer.start();
        while (received[0] < total && failure.get() == null) {
            if (!ring.poll(checker)) {
                Thread.onSpinWait();
            }
        }
        producer.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(total, received[0]);
        assertFalse(ring.hasPending());
    }
}
