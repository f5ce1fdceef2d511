package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.ring.WakeSignal;

/** An idle stage yields its core only while another stage thread works; its runner counts it as working. */
class IdleYieldTest {

    private static final int YIELDS = 3;

    private Selector selector;
    private IdleStage stage;
    private WorkingThreads working;

    @BeforeEach
    void setUp() throws IOException {
        selector = Selector.open();
        stage = new IdleStage(selector);
        stage.idleYields(YIELDS);
        // A sleep in the selector ends at once: the tests count yields, not time.
        stage.idleSelectTimeoutMs(1);
        working = new WorkingThreads();
        stage.workingThreads(working);
    }

    @AfterEach
    void tearDown() {
        stage.onClose();
    }

    @Test
    void shouldYieldBeforeSleepingWhileAnotherThreadWorks() throws IOException {
        working.started();
        stage.idle();
        assertEquals(YIELDS, stage.counters().idleYields());
    }

    @Test
    void shouldSleepWithoutYieldingWhenNoOtherThreadWorks() throws IOException {
        stage.idle();
        stage.idle();
        assertEquals(0, stage.counters().idleYields());
    }

    @Test
    void shouldCountTheRunnersThreadWorkingExceptWhileItsStageIdles() throws Exception {
        final CountDownLatch inTurn = new CountDownLatch(1);
        final CountDownLatch endTurn = new CountDownLatch(1);
        final CountDownLatch inIdle = new CountDownLatch(1);
        final CountDownLatch endIdle = new CountDownLatch(1);
        final Stage gated = new Stage() {
            @Override
            public int doWork() throws InterruptedException {
                inTurn.countDown();
                endTurn.await();
                return 0;
            }

            @Override
            public void idle() throws InterruptedException {
                inIdle.countDown();
                endIdle.await();
            }

            @Override
            public void wakeUp() {
                endTurn.countDown();
                endIdle.countDown();
            }

            @Override
            public void onClose() {
                // Nothing held.
            }

            @Override
            public String roleName() {
                return "idle-test-runner";
            }
        };
        final StageRunner runner = new StageRunner(gated, null, working);
        runner.start();
        try {
            assertTrue(inTurn.await(10, TimeUnit.SECONDS), "first turn");
            assertTrue(working.anyWorking(), "counted in its turn");
            endTurn.countDown();
            assertTrue(inIdle.await(10, TimeUnit.SECONDS), "idle");
            assertFalse(working.anyWorking(), "not counted while its stage idles");
        } finally {
            runner.close();
        }
        assertFalse(runner.isAlive(), "runner stopped");
        assertFalse(working.anyWorking(), "not counted once ended");
    }

    /** A stage with nothing of its own: only its idling is under test. */
    private static final class IdleStage extends SelectorStage {

        IdleStage(final Selector selector) {
            super("idle-test", selector, new WakeSignal(selector), null, 1);
        }

        @Override
        void onSlot(final int slot, final boolean responseHalf) {
            throw new AssertionError("no inbox");
        }

        @Override
        void onExpiry(final int slot, final int kind) {
            throw new AssertionError("no deadlines");
        }

        @Override
        int onReady(final SelectionKey key) {
            return -1;
        }

        @Override
        void onFailure(final int slot, final Throwable cause) {
            throw new AssertionError(cause);
        }
    }
}
