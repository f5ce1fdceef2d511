package dev.weir.timer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class TimerWheelTest {

    private static final long TICK = 10;
    private final List<int[]> expired = new ArrayList<>();
    private final TimerWheel.ExpiryHandler record = (id, kind) -> expired.add(new int[] {id, kind});

    @Test
    void shouldExpireATimerAtItsDeadlineAndNotBefore() {
        final TimerWheel wheel = new TimerWheel(8, TICK, 16);
        wheel.poll(1_000, record);
        wheel.schedule(3, 1_055, 7);
        assertEquals(0, wheel.poll(1_050, record));
        assertTrue(wheel.isScheduled(3));
        assertEquals(1, wheel.poll(1_060, record));
        assertEquals(3, expired.get(0)[0]);
        assertEquals(7, expired.get(0)[1]);
        assertFalse(wheel.isScheduled(3));
        assertEquals(0, wheel.scheduled());
    }

    @Test
    void shouldExpireDeadlinesMoreThanOneRevolutionAwayOnlyOnTheirTurn() {
        final TimerWheel wheel = new TimerWheel(8, TICK, 4);
        wheel.poll(0, record);
        wheel.schedule(1, 1_000, 0);
        for (long now = 0; now < 1_000; now += 7) {
            wheel.poll(now, record);
        }
        assertTrue(expired.isEmpty(), "nothing before the deadline, many revolutions later");
        wheel.poll(1_003, record);
        assertEquals(1, expired.size());
    }

    @Test
    void shouldExpireEverythingDueAfterALongGapBetweenPolls() {
        final TimerWheel wheel = new TimerWheel(8, TICK, 4);
        wheel.poll(0, record);
        for (int id = 0; id < 8; id++) {
            wheel.schedule(id, 5 + id * 13, id);
        }
        assertEquals(8, wheel.poll(10_000, record));
        assertEquals(0, wheel.scheduled());
    }

    @Test
    void shouldForgetACancelledOrRescheduledDeadline() {
        final TimerWheel wheel = new TimerWheel(8, TICK, 16);
        wheel.poll(0, record);
        wheel.schedule(2, 50, 1);
        wheel.schedule(4, 50, 1);
        wheel.cancel(2);
        wheel.schedule(4, 500, 2);
        assertEquals(0, wheel.poll(100, record));
        assertEquals(1, wheel.poll(500, record));
        assertEquals(4, expired.get(0)[0]);
        assertEquals(2, expired.get(0)[1]);
    }

    @Test
    void shouldExpireADeadlineAlreadyPastOnTheNextPoll() {
        final TimerWheel wheel = new TimerWheel(8, TICK, 16);
        wheel.poll(1_000, record);
        wheel.schedule(5, 900, 0);
        assertEquals(1, wheel.poll(1_001, record));
    }

    @Test
    void shouldLetAHandlerScheduleItsOwnIdAgain() {
        final TimerWheel wheel = new TimerWheel(8, TICK, 16);
        wheel.poll(0, record);
        wheel.schedule(1, 20, 0);
        final int[] fired = new int[1];
        wheel.poll(30, (id, kind) -> {
            fired[0]++;
            wheel.schedule(id, 200, 1);
        });
        assertEquals(1, fired[0]);
        assertTrue(wheel.isScheduled(1));
        assertEquals(1, wheel.poll(200, record));
    }

    @Test
    void shouldAllocateNothingToScheduleCancelAndExpire() {
        final TimerWheel wheel = new TimerWheel(1024, TICK, 64);
        final TimerWheel.ExpiryHandler none = (id, kind) -> { };
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long now = 0;
        for (int round = 0; round < 2; round++) {
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                wheel.schedule(i & 1023, now + 100, 0);
                if ((i & 3) == 0) {
                    wheel.cancel((i + 7) & 1023);
                }
                now += 3;
                wheel.poll(now, none);
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertEquals(0, allocated, "bytes allocated by 100,000 schedule/cancel/poll rounds");
            }
        }
    }
}
