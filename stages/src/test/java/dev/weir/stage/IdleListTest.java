package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IdleListTest {

    @Test
    void shouldGiveTheSlotIdleLongestFirst() {
        final IdleList idle = new IdleList(8);
        idle.add(5, 0);
        idle.add(2, 0);
        idle.add(7, 0);
        assertEquals(3, idle.size());
        assertEquals(5, idle.oldest());
        idle.remove(5);
        assertEquals(2, idle.oldest());
        idle.remove(2);
        assertEquals(7, idle.oldest());
        idle.remove(7);
        assertEquals(IdleList.NONE, idle.oldest());
        assertEquals(0, idle.size());
    }

    @Test
    void shouldUnlinkFromTheMiddleAndTheEnd() {
        final IdleList idle = new IdleList(8);
        for (int i = 0; i < 5; i++) {
            idle.add(i, 0);
        }
        idle.remove(2);
        idle.remove(4);
        assertFalse(idle.contains(2));
        assertTrue(idle.contains(3));
        idle.add(6, 0);
        final int[] expected = {0, 1, 3, 6};
        for (final int slot : expected) {
            assertEquals(slot, idle.oldest());
            idle.remove(slot);
        }
        assertEquals(0, idle.size());
    }

    @Test
    void shouldTellWhenTheOldestFellIdle() {
        final IdleList idle = new IdleList(4);
        idle.add(3, 100);
        idle.add(0, 250);
        assertEquals(100, idle.oldestSinceNs());
        idle.remove(3);
        assertEquals(250, idle.oldestSinceNs());
    }

    @Test
    void shouldIgnoreRemovingASlotNotInTheListAndMoveARepeatedAddToTheEnd() {
        final IdleList idle = new IdleList(4);
        idle.remove(3);
        assertEquals(0, idle.size());
        idle.add(1, 0);
        idle.add(2, 0);
        idle.add(1, 0);
        assertEquals(2, idle.size());
        assertEquals(2, idle.oldest());
        idle.remove(2);
        idle.remove(2);
        assertEquals(1, idle.size());
        assertEquals(1, idle.oldest());
    }
}
