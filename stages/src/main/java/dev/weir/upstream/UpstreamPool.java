package dev.weir.upstream;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import dev.weir.arena.PoolCounters;

/**
 * The origin connections of one upstream stage thread, with free lists of idle (connected) and disconnected
 * ones, and a FIFO of slots waiting for one.
 * <p>
 * By default the pool holds one connection per slot the thread serves, so a request never waits for a
 * connection held by another client; idle ones are kept for reuse. With {@code upstream.max-connections} the
 * pool is smaller and requests queue; the queue is a doubly linked list over slot indices, so a slot whose
 * queue deadline expires leaves it in O(1), and it cannot overflow (one place per slot).
 * <p>
 * <b>Note:</b> single owner thread. {@link #busy()}, {@link #open()}, {@link #idle()}, {@link #queued()},
 * {@link #waits()} and {@link #counters()} may be read from any thread (release stores by the owner, acquire
 * loads by readers).
 */
public final class UpstreamPool {

    private static final int NONE = -1;
    private static final VarHandle BUSY;
    private static final VarHandle OPEN;
    private static final VarHandle QUEUED;
    private static final VarHandle WAITS;
    private static final VarHandle IDLE;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            BUSY = lookup.findVarHandle(UpstreamPool.class, "busy", int.class);
            OPEN = lookup.findVarHandle(UpstreamPool.class, "open", int.class);
            QUEUED = lookup.findVarHandle(UpstreamPool.class, "queued", int.class);
            WAITS = lookup.findVarHandle(UpstreamPool.class, "waits", long.class);
            IDLE = lookup.findVarHandle(UpstreamPool.class, "idlePublished", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final UpstreamConnection[] connections;
    private final int[] idle;
    private int idleCount;
    private final int[] disconnected;
    private int disconnectedCount;
    private final int[] queueNext;
    private final int[] queuePrev;
    private final boolean[] inQueue;
    private int queueHead = NONE;
    private int queueTail = NONE;

    private int busy;
    private int open;
    private int queued;
    private long waits;
    /** {@code idleCount} as last published for readers. */
    private int idlePublished;
    /** Capacity, connections taken, their high-water mark, and takes that found none free. */
    private final PoolCounters counters;

    /**
     * @param size      connections in this pool.
     * @param slotCount the slot table's size: the queue holds slot indices.
     */
    public UpstreamPool(final int size, final int slotCount) {
        connections = new UpstreamConnection[size];
        idle = new int[size];
        disconnected = new int[size];
        for (int i = 0; i < size; i++) {
            connections[i] = new UpstreamConnection(i);
            disconnected[i] = size - 1 - i;
        }
        disconnectedCount = size;
        counters = new PoolCounters(size);
        queueNext = new int[slotCount];
        queuePrev = new int[slotCount];
        inQueue = new boolean[slotCount];
        Arrays.fill(queueNext, NONE);
        Arrays.fill(queuePrev, NONE);
    }

    /**
     * Take a connection for a request: an idle one, else a disconnected one for the caller to open.
     *
     * @return the connection, or {@code null} when every one is busy.
     */
    public UpstreamConnection tryAcquire() {
        final UpstreamConnection connection;
        if (idleCount > 0) {
            connection = connections[idle[--idleCount]];
            IDLE.setRelease(this, idleCount);
        } else if (disconnectedCount > 0) {
            connection = connections[disconnected[--disconnectedCount]];
        } else {
            counters.onFailedAcquire();
            return null;
        }
        BUSY.setRelease(this, busy + 1);
        counters.onAcquire();
        return connection;
    }

    /**
     * Give a connection back: parked ({@code IDLE}) it joins the idle list, otherwise it is closed first.
     *
     * @param connection a connection from {@link #tryAcquire()}.
     */
    public void release(final UpstreamConnection connection) {
        if (connection.state == UpstreamConnection.IDLE) {
            idle[idleCount++] = connection.index;
            IDLE.setRelease(this, idleCount);
        } else {
            closeCounted(connection);
            disconnected[disconnectedCount++] = connection.index;
        }
        BUSY.setRelease(this, busy - 1);
        counters.onRelease();
    }

    /**
     * An idle connection whose socket the origin closed: close it and move it to the disconnected list.
     *
     * @param connection an idle connection.
     */
    public void onIdleClosed(final UpstreamConnection connection) {
        for (int i = 0; i < idleCount; i++) {
            if (idle[i] == connection.index) {
                idle[i] = idle[--idleCount];
                IDLE.setRelease(this, idleCount);
                closeCounted(connection);
                disconnected[disconnectedCount++] = connection.index;
                return;
            }
        }
    }

    /** Count a socket the owner opened with {@link UpstreamConnection#open}. */
    public void onOpened() {
        OPEN.setRelease(this, open + 1);
    }

    private void closeCounted(final UpstreamConnection connection) {
        if (connection.channel != null) {
            OPEN.setRelease(this, open - 1);
        }
        connection.close();
    }

    /**
     * Queue a slot until a connection is free.
     *
     * @param slot the slot index, not already queued.
     */
    public void enqueue(final int slot) {
        inQueue[slot] = true;
        queueNext[slot] = NONE;
        queuePrev[slot] = queueTail;
        if (queueTail == NONE) {
            queueHead = slot;
        } else {
            queueNext[queueTail] = slot;
        }
        queueTail = slot;
        QUEUED.setRelease(this, queued + 1);
        WAITS.setRelease(this, waits + 1);
    }

    /**
     * Take a slot out of the queue, wherever it is.
     *
     * @param slot a slot index.
     * @return {@code true} when it was queued.
     */
    public boolean dequeue(final int slot) {
        if (!inQueue[slot]) {
            return false;
        }
        final int next = queueNext[slot];
        final int prev = queuePrev[slot];
        if (prev == NONE) {
            queueHead = next;
        } else {
            queueNext[prev] = next;
        }
        if (next == NONE) {
            queueTail = prev;
        } else {
            queuePrev[next] = prev;
        }
        inQueue[slot] = false;
        QUEUED.setRelease(this, queued - 1);
        return true;
    }

    /** @return the slot at the head of the queue, or -1, without removing it. */
    public int peekWaiting() {
        return queueHead;
    }

    /** @return {@code true} when slots wait and a connection could be taken. */
    public boolean canServeWaiting() {
        return queueHead != NONE && (idleCount > 0 || disconnectedCount > 0);
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

    /** @return connections serving an exchange now. */
    public int busy() {
        return (int) BUSY.getAcquire(this);
    }

    /** @return connections with an open socket (serving or idle). */
    public int open() {
        return (int) OPEN.getAcquire(this);
    }

    /** @return connections open and parked for reuse now. */
    public int idle() {
        return (int) IDLE.getAcquire(this);
    }

    /** @return the pool's counters: capacity, taken now, most taken at once, takes that found none free. */
    public PoolCounters counters() {
        return counters;
    }

    /** @return slots waiting for a connection now. */
    public int queued() {
        return (int) QUEUED.getAcquire(this);
    }

    /** @return requests that had to wait for a connection, since start. */
    public long waits() {
        return (long) WAITS.getAcquire(this);
    }
}
