package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.ring.WakeSignal;

/** An idle stage yields its core only while another stage thread works. */
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
    void shouldCountItselfWorkingBetweenIdles() throws IOException {
        stage.idle();
        // Back from idling, the stage works: another idle stage would yield to it.
        assertEquals(true, working.anyWorking());
        stage.idle();
        // It does not count itself while it idles, so it slept without yielding again.
        assertEquals(0, stage.counters().idleYields());
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
