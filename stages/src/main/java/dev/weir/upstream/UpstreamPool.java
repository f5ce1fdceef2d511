package dev.weir.upstream;

/**
 * A fixed set of origin connections owned by one upstream stage thread, with free lists of idle (connected)
 * and disconnected ones, and a FIFO of slots waiting for a connection.
 * <p>
 * Idle connections are preferred, so the pool stays warm; a disconnected one is reconnected only when no idle
 * one is left. The wait queue holds slot indices and is sized to the slot table, so it cannot overflow.
 * <p>
 * <b>Note:</b> single owner thread; the counters may be read from any thread.
 */
public final class UpstreamPool {

    private final UpstreamConnection[] connections;
    private final int[] idle;
    private int idleCount;
    private final int[] disconnected;
    private int disconnectedCount;
    private final int[] waiting;
    private int waitHead;
    private int waitCount;

    private volatile int busy;
    private volatile long waits;

    /**
     * @param size         connections in this pool.
     * @param maxWaiting   most slots that can wait at once: the slot table's size.
     */
    public UpstreamPool(final int size, final int maxWaiting) {
        connections = new UpstreamConnection[size];
        idle = new int[size];
        disconnected = new int[size];
        for (int i = 0; i < size; i++) {
            connections[i] = new UpstreamConnection(i);
            disconnected[i] = size - 1 - i;
        }
        disconnectedCount = size;
        waiting = new int[maxWaiting];
    }

    /**
     * Take a connection for a request: an idle one, else a disconnected one for the caller to connect.
     *
     * @return the connection, or {@code null} when all are busy.
     */
    public UpstreamConnection tryAcquire() {
        final UpstreamConnection connection;
        if (idleCount > 0) {
            connection = connections[idle[--idleCount]];
        } else if (disconnectedCount > 0) {
            connection = connections[disconnected[--disconnectedCount]];
        } else {
            return null;
        }
        busy = busy + 1;
        return connection;
    }

    /**
     * Give a connection back, connected (to {@code IDLE}) or not (to {@code DISCONNECTED}).
     *
     * @param connection a connection from {@link #tryAcquire()}; its state says which list it joins.
     */
    public void release(final UpstreamConnection connection) {
        connection.slot = -1;
        if (connection.state == UpstreamConnection.IDLE) {
            idle[idleCount++] = connection.index;
        } else {
            connection.state = UpstreamConnection.DISCONNECTED;
            disconnected[disconnectedCount++] = connection.index;
        }
        busy = busy - 1;
    }

    /**
     * Move an idle connection that the origin closed to the disconnected list.
     *
     * @param connection an idle connection whose socket has been closed.
     */
    public void onIdleClosed(final UpstreamConnection connection) {
        for (int i = 0; i < idleCount; i++) {
            if (idle[i] == connection.index) {
                idle[i] = idle[--idleCount];
                connection.state = UpstreamConnection.DISCONNECTED;
                disconnected[disconnectedCount++] = connection.index;
                return;
            }
        }
    }

    /**
     * Queue a slot until a connection is free.
     *
     * @param slot the slot index.
     */
    public void enqueue(final int slot) {
        waiting[(waitHead + waitCount) % waiting.length] = slot;
        waitCount++;
        waits = waits + 1;
    }

    /** @return the next waiting slot, or -1. */
    public int pollWaiting() {
        if (waitCount == 0) {
            return -1;
        }
        final int slot = waiting[waitHead];
        waitHead = (waitHead + 1) % waiting.length;
        waitCount--;
        return slot;
    }

    /** @return {@code true} when slots wait and a connection could be taken. */
    public boolean canServeWaiting() {
        return waitCount > 0 && (idleCount > 0 || disconnectedCount > 0);
    }

    /**
     * @param index connection index.
     * @return the connection.
     */
    public UpstreamConnection connection(final int index) {
        return connections[index];
    }

    /** @return connections in the pool. */
    public int size() {
        return connections.length;
    }

    /** @return connections serving a request now. */
    public int busy() {
        return busy;
    }

    /** @return requests that had to wait for a connection, since start. */
    public long waits() {
        return waits;
    }
}
