package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The queue-delay rule with the time given by hand. */
class AdmissionGateTest {

    private static final long MS = 1_000_000L;
    private static final long T0 = 5_000 * MS;
    private static final long TARGET = 50 * MS;

    @Test
    void shouldAdmitWhileRequestsWaitNoLongerThanTheTarget() {
        final AdmissionGate gate = new AdmissionGate(TARGET);
        assertTrue(gate.admits(T0));
        for (long t = 0; t <= 200; t += 10) {
            gate.onRequestTaken(TARGET, T0 + t * MS);
            assertTrue(gate.admits(T0 + t * MS), "exactly the target is not over it");
        }
        assertEquals(TARGET, gate.lastDelayNs());
    }

    @Test
    void shouldRefuseForOneTargetWhenEveryRequestOfAnIntervalWaitedLongerThenAdmitAgain() {
        final AdmissionGate gate = new AdmissionGate(TARGET);
        gate.onRequestTaken(80 * MS, T0);
        gate.onRequestTaken(60 * MS, T0 + 20 * MS);
        assertTrue(gate.admits(T0 + 20 * MS), "the interval has not ended: no standing queue yet");
        gate.onRequestTaken(70 * MS, T0 + 50 * MS);
        assertFalse(gate.admits(T0 + 50 * MS), "a whole interval over the target");
        assertFalse(gate.admits(T0 + 99 * MS));
        assertTrue(gate.admits(T0 + 100 * MS), "without new measurements it reopens after one target");
    }

    @Test
    void shouldNotRefuseForABurstQueuedBehindOneStall() {
        final AdmissionGate gate = new AdmissionGate(TARGET);
        // A 300 ms stall: what queued meanwhile is taken at once, then requests flow again.
        for (long waited = 300; waited > 0; waited -= 30) {
            gate.onRequestTaken(waited * MS, T0);
        }
        gate.onRequestTaken(MS, T0 + 10 * MS);
        gate.onRequestTaken(MS, T0 + 60 * MS);
        assertTrue(gate.admits(T0 + 60 * MS), "the shortest delay of the interval was under the target");
    }

    @Test
    void shouldAdmitAgainAsSoonAsARequestWaitedLessThanTheTarget() {
        final AdmissionGate gate = new AdmissionGate(TARGET);
        gate.onRequestTaken(200 * MS, T0);
        gate.onRequestTaken(120 * MS, T0 + 60 * MS);
        assertFalse(gate.admits(T0 + 61 * MS));
        gate.onRequestTaken(10 * MS, T0 + 62 * MS);
        assertTrue(gate.admits(T0 + 62 * MS), "the delay fell back under the target");
    }

    @Test
    void shouldClampADelayMeasuredAcrossTwoTurnsReadInTheOtherOrder() {
        final AdmissionGate gate = new AdmissionGate(TARGET);
        gate.onRequestTaken(-3 * MS, T0);
        assertEquals(0, gate.lastDelayNs());
        assertTrue(gate.admits(T0));
    }

    @Test
    void shouldAlwaysAdmitWhenTheTargetIsNone() {
        final AdmissionGate gate = new AdmissionGate(0);
        gate.onRequestTaken(Long.MAX_VALUE / 4, T0);
        gate.onRequestTaken(Long.MAX_VALUE / 4, T0 + 3_600_000 * MS);
        assertTrue(gate.admits(T0 + 3_600_000 * MS));
    }
}
