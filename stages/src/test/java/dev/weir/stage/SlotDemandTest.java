package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SlotDemandTest {

    @Test
    void shouldLetACallCloseAtMostItsBatch() {
        final SlotDemand demand = new SlotDemand();
        assertFalse(demand.isWanted());
        assertFalse(demand.tryTake());
        demand.want(2);
        assertTrue(demand.isWanted());
        assertTrue(demand.tryTake());
        assertTrue(demand.tryTake());
        assertFalse(demand.tryTake());
        assertFalse(demand.isWanted());
    }

    @Test
    void shouldWantNothingOnceSatisfied() {
        final SlotDemand demand = new SlotDemand();
        demand.want(32);
        assertTrue(demand.tryTake());
        demand.satisfied();
        assertFalse(demand.isWanted());
        assertFalse(demand.tryTake());
        demand.want(1);
        assertTrue(demand.tryTake());
    }
}
