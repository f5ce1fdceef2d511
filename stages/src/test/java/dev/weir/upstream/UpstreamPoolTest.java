package dev.weir.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
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

    private static UpstreamServer[] servers(final int count) {
        final UpstreamServer[] servers = new UpstreamServer[count];
        for (int i = 0; i < count; i++) {
            servers[i] = new UpstreamServer(i, "g", "127.0.0.1:" + (9000 + i), null, 1, 2);
        }
        return servers;
    }

    @Test
    void shouldReuseAnIdleConnectionToTheChosenServerOnly() {
        final UpstreamServer[] servers = servers(2);
        final UpstreamPool pool = new UpstreamPool(3, 8, servers, 1);
        final UpstreamConnection toA = pool.tryAcquire(0);
        assertEquals(0, toA.server);
        toA.park();
        pool.release(toA);
        final UpstreamConnection toB = pool.tryAcquire(1);
        assertNotSame(toA, toB, "an idle connection to another server is not taken while one is disconnected");
        assertEquals(1, toB.server);
        assertSame(toA, pool.tryAcquire(0), "the idle connection to the chosen server is");
        assertEquals(1, servers[0].busyConnections());
        assertEquals(1, servers[1].busyConnections());
        assertEquals(2, servers[0].requests());
        assertEquals(0, servers[0].idleConnections());
    }

    @Test
    void shouldCloseTheLongestIdleConnectionToAnotherServerWhenNoneIsDisconnected() {
        final UpstreamServer[] servers = servers(3);
        final UpstreamPool pool = new UpstreamPool(2, 8, servers, 0);
        final UpstreamConnection first = pool.tryAcquire(0);
        final UpstreamConnection second = pool.tryAcquire(0);
        first.park();
        pool.release(first);
        second.park();
        pool.release(second);
        assertEquals(2, servers[0].idleConnections());
        assertEquals(2, pool.idle());
        final UpstreamConnection reused = pool.tryAcquire(2);
        assertSame(first, reused, "the connection idle longest is closed and reused");
        assertEquals(UpstreamConnection.DISCONNECTED, reused.state, "closed, for the caller to open");
        assertEquals(2, reused.server);
        assertEquals(1, servers[0].idleConnections());
        assertSame(second, pool.tryAcquire(0));
        assertNull(pool.tryAcquire(1), "every connection is busy");
        pool.release(reused);
        assertEquals(0, servers[2].busyConnections());
        assertEquals(-1, reused.server, "a disconnected connection belongs to no server");
    }

    @Test
    void shouldUnlinkAnIdleConnectionTheOriginClosedFromItsServersList() {
        final UpstreamServer[] servers = servers(2);
        final UpstreamPool pool = new UpstreamPool(2, 8, servers, 0);
        final UpstreamConnection a = pool.tryAcquire(1);
        final UpstreamConnection b = pool.tryAcquire(1);
        a.park();
        pool.release(a);
        b.park();
        pool.release(b);
        pool.onIdleClosed(b);
        assertEquals(1, servers[1].idleConnections());
        assertSame(a, pool.tryAcquire(1));
        assertNotSame(a, pool.tryAcquire(1));
    }
}
