package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The queue-delay rule with the time given by hand. */
class AdmissionGateTest {

    private static final long MS = 1_000_000L;
    private static final long T0 = 5_000 * MS;

    @Test
    void shouldAdmitWhileRequestsWaitNoLongerThanTheTarget() {
        final AdmissionGate gate = new AdmissionGate(50 * MS);
        assertTrue(gate.admits(T0));
        gate.onRequestTaken(50 * MS, T0);
        assertTrue(gate.admits(T0), "exactly the target is not over it");
        assertEquals(50 * MS, gate.lastDelayNs());
    }

    @Test
    void shouldRefuseForOneTargetAfterARequestWaitedLongerThenAdmitAgain() {
        final AdmissionGate gate = new AdmissionGate(50 * MS);
        gate.onRequestTaken(51 * MS, T0);
        assertFalse(gate.admits(T0));
        assertFalse(gate.admits(T0 + 49 * MS));
        assertTrue(gate.admits(T0 + 50 * MS), "without new measurements it reopens after one target");
    }

    @Test
    void shouldAdmitAgainAsSoonAsARequestWaitedLessThanTheTarget() {
        final AdmissionGate gate = new AdmissionGate(50 * MS);
        gate.onRequestTaken(200 * MS, T0);
        gate.onRequestTaken(120 * MS, T0 + MS);
        assertFalse(gate.admits(T0 + 2 * MS));
        gate.onRequestTaken(10 * MS, T0 + 3 * MS);
        assertTrue(gate.admits(T0 + 3 * MS), "the delay fell back under the target");
    }

    @Test
    void shouldClampADelayMeasuredAcrossTwoTurnsReadInTheOtherOrder() {
        final AdmissionGate gate = new AdmissionGate(50 * MS);
        gate.onRequestTaken(-3 * MS, T0);
        assertEquals(0, gate.lastDelayNs());
        assertTrue(gate.admits(T0));
    }

    @Test
    void shouldAlwaysAdmitWhenTheTargetIsNone() {
        final AdmissionGate gate = new AdmissionGate(0);
        gate.onRequestTaken(Long.MAX_VALUE / 4, T0);
        assertTrue(gate.admits(T0));
    }
}
