package dev.weir.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.lmax.disruptor.EventPoller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link WakeSignal}: a sleeping consumer is woken once; a running one costs the producer no wakeup.
 */
class WakeSignalTest {

    private static final long DEADLINE_SECONDS = 10;

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

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldWakeAConsumerBlockedInSelectAfterPrepareToSleep() throws Exception {
        final CountDownLatch aboutToSelect = new CountDownLatch(1);
        final CountDownLatch returned = new CountDownLatch(1);
        final Thread consumer = new Thread(() -> {
            try {
                wake.prepareToSleep();
                aboutToSelect.countDown();
                // Blocks without a timeout: only a wakeup can end it.
                selector.select();
                wake.awake();
                returned.countDown();
            } catch (final IOException ex) {
                throw new IllegalStateException(ex);
            }
        }, "consumer");
        consumer.setDaemon(true);
        consumer.start();
        assertTrue(aboutToSelect.await(DEADLINE_SECONDS, TimeUnit.SECONDS));

        wake.signal();

        assertTrue(returned.await(DEADLINE_SECONDS, TimeUnit.SECONDS), "select() did not return after signal()");
        assertEquals(1, wake.wakeups());
        consumer.join();
    }

    @Test
    void shouldNotWakeupWhenTheConsumerIsNotSleeping() {
        wake.signal();
        wake.signal();
        assertEquals(0, wake.wakeups());
    }

    @Test
    void shouldNotWakeupAfterTheConsumerIsAwakeAgain() {
        wake.prepareToSleep();
        wake.awake();
        wake.signal();
        assertEquals(0, wake.wakeups());
    }

    @Test
    void shouldWakeupOnceForManySignalsToOneSleep() throws IOException {
        wake.prepareToSleep();
        wake.signal();
        wake.signal();
        wake.signal();
        assertEquals(1, wake.wakeups());
        // The pending wakeup makes the next select return at once instead of blocking: one byte in the pipe.
        assertEquals(1, selector.selectNow(key -> assertTrue(wake.onReady(key), "the wake pipe's key")));
        // Drained: nothing is ready any more.
        assertEquals(0, selector.selectNow());
        wake.awake();
        wake.prepareToSleep();
        wake.signal();
        assertEquals(2, wake.wakeups());
    }

    @Test
    void shouldLetARingOfferWakeItsSleepingConsumerOnlyOnce() throws Exception {
        final StageRing ring = new StageRing("inbox", 8, wake);
        assertEquals(StageRing.OFFERED, ring.offer(1));
        assertEquals(0, wake.wakeups());
        wake.prepareToSleep();
        assertEquals(StageRing.OFFERED, ring.offer(2));
        assertEquals(StageRing.OFFERED, ring.offer(3));
        assertEquals(1, wake.wakeups());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNeverLoseAnEventBetweenTheLastCheckAndSelect() throws Exception {
        final int total = 20_000;
        final StageRing ring = new StageRing("inbox", 64, wake);
        final AtomicInteger received = new AtomicInteger();
        final EventPoller.Handler<HandoffEvent> counter = (event, sequence, endOfBatch) -> {
            received.incrementAndGet();
            return true;
        };
        final Thread producer = new Thread(() -> {
            for (int i = 0; i < total; i++) {
                while (ring.offer(i) == StageRing.RING_FULL) {
                    Thread.onSpinWait();
                }
                // Wait for the consumer to drain so that it goes to sleep between most events.
                while (ring.hasPending()) {
                    Thread.onSpinWait();
                }
            }
        }, "producer");
        producer.start();
        while (received.get() < total) {
            if (ring.poll(counter)) {
                continue;
            }
            wake.prepareToSleep();
            if (ring.hasPending()) {
                wake.awake();
                continue;
            }
            // Blocks without a timeout: a lost wakeup hangs here and the @Timeout fails the test.
            selector.select();
            wake.awake();
        }
        producer.join();
        assertEquals(total, received.get());
        assertFalse(ring.hasPending());
        assertTrue(wake.wakeups() > 0);
    }
}
