package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.Selector;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.ring.WakeSignal;

/** The queue-delay and stall rules with the time given by hand. */
class AdmissionGateTest {

    private static final long MS = 1_000_000L;
    private static final long T0 = 5_000 * MS;
    private static final long TARGET = 50 * MS;
    /** The longest idle sleep a gated thread is allowed on top of the target before it counts as stalled. */
    private static final long SLEEP = SelectorStage.DEFAULT_IDLE_SELECT_TIMEOUT_MS * MS;

    private Selector selector;
    private WakeSignal wake;

    @BeforeEach
    void open() throws IOException {
        selector = Selector.open();
        wake = new WakeSignal(selector);
    }

    @AfterEach
    void close() throws IOException {
        wake.close();
        selector.close();
    }

    private AdmissionGate gate(final long targetNs) {
        return new AdmissionGate(targetNs, wake);
    }

    @Test
    void shouldAdmitWhileRequestsWaitNoLongerThanTheTarget() {
        final AdmissionGate gate = gate(TARGET);
        assertTrue(gate.admits(T0));
        for (long t = 0; t <= 200; t += 10) {
            gate.onTaken(TARGET, T0 + t * MS);
            assertTrue(gate.admits(T0 + t * MS), "exactly the target is not over it");
        }
        assertEquals(TARGET, gate.lastDelayNs());
    }

    @Test
    void shouldRefuseForOneTargetWhenEveryRequestOfAnIntervalWaitedLongerThenAdmitAgain() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTaken(80 * MS, T0);
        gate.onTaken(60 * MS, T0 + 20 * MS);
        assertTrue(gate.admits(T0 + 20 * MS), "the interval has not ended: no standing queue yet");
        gate.onTaken(70 * MS, T0 + 50 * MS);
        assertFalse(gate.admits(T0 + 50 * MS), "a whole interval over the target");
        assertFalse(gate.admits(T0 + 99 * MS));
        assertTrue(gate.admits(T0 + 100 * MS), "without new measurements it reopens after one target");
    }

    @Test
    void shouldNotRefuseForABurstQueuedBehindOneStall() {
        final AdmissionGate gate = gate(TARGET);
        // A 300 ms stall: what queued meanwhile is taken at once, then requests flow again.
        for (long waited = 300; waited > 0; waited -= 30) {
            gate.onTaken(waited * MS, T0);
        }
        gate.onTaken(MS, T0 + 10 * MS);
        gate.onTaken(MS, T0 + 60 * MS);
        assertTrue(gate.admits(T0 + 60 * MS), "the shortest delay of the interval was under the target");
    }

    @Test
    void shouldAdmitAgainAsSoonAsARequestWaitedLessThanTheTarget() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTaken(200 * MS, T0);
        gate.onTaken(120 * MS, T0 + 60 * MS);
        assertFalse(gate.admits(T0 + 61 * MS));
        gate.onTaken(10 * MS, T0 + 62 * MS);
        assertTrue(gate.admits(T0 + 62 * MS), "the delay fell back under the target");
    }

    @Test
    void shouldClampADelayMeasuredAcrossTwoTurnsReadInTheOtherOrder() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTaken(-3 * MS, T0);
        assertEquals(0, gate.lastDelayNs());
        assertTrue(gate.admits(T0));
    }

    @Test
    void shouldAlwaysAdmitWhenTheTargetIsNone() {
        final AdmissionGate gate = gate(0);
        gate.onTaken(Long.MAX_VALUE / 4, T0);
        gate.onTaken(Long.MAX_VALUE / 4, T0 + 3_600_000 * MS);
        assertTrue(gate.admits(T0 + 3_600_000 * MS));
    }

    @Test
    void shouldRefuseWhileTheGatedThreadIsAwakeAndHasNotTurnedForTheTargetPlusItsLongestSleep() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTurn(T0);
        assertTrue(gate.admits(T0 + TARGET + SLEEP), "exactly the allowance is not late");
        assertFalse(gate.admits(T0 + TARGET + SLEEP + 1), "stuck in one turn");
        gate.onTurn(T0 + 10 * TARGET);
        assertTrue(gate.admits(T0 + 10 * TARGET), "open again from its next turn");
    }

    @Test
    void shouldAdmitWhileTheGatedThreadSleepsInItsSelector() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTurn(T0);
        wake.prepareToSleep();
        assertTrue(gate.admits(T0 + 100 * TARGET), "a sleeping thread is woken by the hand-off, not late");
        wake.signal();
        assertFalse(gate.admits(T0 + 100 * TARGET), "woken by a producer and still not turning: stalled");
        wake.awake();
    }

    @Test
    void shouldPublishTheHeartbeatAtMostEveryQuarterTarget() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTurn(T0);
        // Turns closer together than a quarter target leave the published beat at T0.
        for (long t = 1; t < TARGET / 4; t += MS) {
            gate.onTurn(T0 + t);
        }
        assertFalse(gate.admits(T0 + TARGET + SLEEP + 1), "the beat is still the one of T0");
        gate.onTurn(T0 + TARGET / 4);
        assertTrue(gate.admits(T0 + TARGET + SLEEP + 1), "a quarter target later it is published again");
    }

    @Test
    void shouldAllowALongerSleepWhenTheGatedThreadSleepsLonger() {
        final AdmissionGate gate = gate(TARGET);
        gate.onTurn(T0);
        gate.longestSleepMs(10_000);
        assertTrue(gate.admits(T0 + TARGET + 10_000 * MS));
        assertFalse(gate.admits(T0 + TARGET + 10_000 * MS + 1));
    }

    @Test
    void shouldNeverCallAThreadStalledWhenTheTargetIsNone() {
        final AdmissionGate gate = gate(0);
        gate.onTurn(T0);
        assertTrue(gate.admits(T0 + 3_600_000 * MS));
    }
}
