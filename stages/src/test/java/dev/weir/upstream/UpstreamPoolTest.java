package dev.weir.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link UpstreamPool}: idle connections first, a FIFO of waiting slots that any slot can leave in O(1), and
 * counters that follow every move.
 */
class UpstreamPoolTest {

    @Test
    void shouldReturnNullWhenEveryConnectionIsBusy() {
        final UpstreamPool pool = new UpstreamPool(2, 8);
        assertNotNull(pool.tryAcquire());
        assertNotNull(pool.tryAcquire());
        assertNull(pool.tryAcquire());
        assertEquals(2, pool.busy());
    }

    @Test
    void shouldPreferAParkedConnectionOverADisconnectedOne() {
        final UpstreamPool pool = new UpstreamPool(2, 8);
        final UpstreamConnection first = pool.tryAcquire();
        first.park();
        pool.release(first);
        assertSame(first, pool.tryAcquire(), "the idle connection is reused");
        assertEquals(1, pool.busy());
    }

    @Test
    void shouldServeWaitingSlotsInOrderAndLetAnyLeaveTheQueue() {
        final UpstreamPool pool = new UpstreamPool(1, 8);
        final UpstreamConnection only = pool.tryAcquire();
        pool.enqueue(5);
        pool.enqueue(2);
        pool.enqueue(7);
        assertEquals(3, pool.queued());
        assertEquals(3, pool.waits());
        assertFalse(pool.canServeWaiting(), "no connection is free");
        assertTrue(pool.dequeue(2), "a slot in the middle leaves on its deadline");
        assertFalse(pool.dequeue(2), "only once");
        pool.release(only);
        assertTrue(pool.canServeWaiting());
        assertEquals(5, pool.peekWaiting());
        assertTrue(pool.dequeue(5));
        assertEquals(7, pool.peekWaiting());
        assertTrue(pool.dequeue(7));
        assertEquals(-1, pool.peekWaiting());
        assertEquals(0, pool.queued());
        pool.enqueue(2);
        assertEquals(2, pool.peekWaiting(), "a slot that left can queue again");
    }

    @Test
    void shouldCloseAConnectionReleasedWithoutBeingParked() {
        final UpstreamPool pool = new UpstreamPool(1, 1);
        final UpstreamConnection connection = pool.tryAcquire();
        connection.attach();
        pool.release(connection);
        assertEquals(UpstreamConnection.DISCONNECTED, connection.state);
        assertEquals(0, pool.busy());
        assertEquals(0, pool.open());
    }

    @Test
    void shouldForgetTheRequestCountOfAClosedSocket() {
        // A stale count would make the next socket's first failure look like an idle close worth a retry.
        final UpstreamPool pool = new UpstreamPool(1, 1);
        final UpstreamConnection connection = pool.tryAcquire();
        connection.attach();
        connection.requestsOnSocket = 5;
        pool.release(connection);
        assertEquals(0, pool.tryAcquire().requestsOnSocket);
    }
}
