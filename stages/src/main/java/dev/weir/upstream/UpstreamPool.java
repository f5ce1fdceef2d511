package dev.weir.upstream;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import dev.weir.arena.PoolCounters;

/**
 * The origin connections of one upstream stage thread, with free lists of idle (connected) and disconnected
 * ones, and a FIFO of slots waiting for one.
 * <p>
 * A connection carries the server it is connected to. Idle connections are kept in one list per server, most
 * recently parked first, so a request reuses a warm connection to the server its balancer chose; when no
 * connection is disconnected but some are idle to other servers, the one idle longest is closed and reused.
 * <pre>
 *   idleHead[server] -&gt; c7 &lt;-&gt; c2 &lt;-&gt; c5 &lt;- idleTail[server]   (linked by idleNext, idlePrev)
 *   disconnected: c0 c1 c3 ...                                   (a stack)
 * </pre>
 * <p>
 * By default the pool holds one connection per slot the thread serves, so a request never waits for a
 * connection held by another client; idle ones are kept for reuse. With {@code upstream.max-connections} the
 * pool is smaller and requests queue; the queue is a doubly linked list over slot indices, so a slot whose
 * queue deadline expires leaves it in O(1), and it cannot overflow (one place per slot).
 * <p>
 * <b>Note:</b> single owner thread. {@link #busy()}, {@link #open()}, {@link #idle()}, {@link #queued()} and
 * {@link #waits()} and {@link #counters()} may be read from any thread (release stores by the owner, acquire
 * loads by readers); the per-server counts are published through each {@link UpstreamServer}'s row for this
 * thread.
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
    private final UpstreamServer[] servers;
    private final int thread;
    private final int[] idleNext;
    private final int[] idlePrev;
    private final int[] idleHead;
    private final int[] idleTail;
    private final int[] inFlight;
    private int idleCount;
    private int stealFrom;
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
     * A pool for one server (tests).
     *
     * @param size      connections in this pool.
     * @param slotCount the slot table's size: the queue holds slot indices.
     */
    public UpstreamPool(final int size, final int slotCount) {
        this(size, slotCount, new UpstreamServer[] {new UpstreamServer(0, "default", "-", null, 1, 1)}, 0);
    }

    /**
     * @param size      connections in this pool.
     * @param slotCount the slot table's size: the queue holds slot indices.
     * @param servers   every server over all groups, by index.
     * @param thread    the owning upstream thread's number: the row it writes in each server's counters.
     */
    public UpstreamPool(final int size, final int slotCount, final UpstreamServer[] servers, final int thread) {
        connections = new UpstreamConnection[size];
        this.servers = servers.clone();
        this.thread = thread;
        idleNext = new int[size];
        idlePrev = new int[size];
        idleHead = new int[servers.length];
        idleTail = new int[servers.length];
        inFlight = new int[servers.length];
        Arrays.fill(idleHead, NONE);
        Arrays.fill(idleTail, NONE);
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

    /** @return a connection for server 0 (a pool of one server); see {@link #tryAcquire(int)}. */
    public UpstreamConnection tryAcquire() {
        return tryAcquire(0);
    }

    /**
     * Take a connection for a request to a server: an idle one to that server, else a disconnected one for the
     * caller to open, else the longest idle one to another server, closed here, for the caller to open.
     *
     * @param server the chosen server's index.
     * @return the connection, its {@code server} set, or {@code null} when every one is busy.
     */
    public UpstreamConnection tryAcquire(final int server) {
        final UpstreamConnection connection;
        if (idleHead[server] != NONE) {
            connection = connections[idleHead[server]];
            unlinkIdle(connection);
        } else if (disconnectedCount > 0) {
            connection = connections[disconnected[--disconnectedCount]];
        } else if (idleCount > 0) {
            connection = connections[idleTail[otherServerWithIdle()]];
            unlinkIdle(connection);
            closeCounted(connection);
        } else {
            return null;
        }
        connection.server = server;
        inFlight[server]++;
        servers[server].add(thread, UpstreamServer.BUSY, 1);
        servers[server].add(thread, UpstreamServer.REQUESTS, 1);
        BUSY.setRelease(this, busy + 1);
        counters.onAcquire();
        return connection;
    }

    /** @return a server with an idle connection, taken in turn so no one server always loses its own. */
    private int otherServerWithIdle() {
        for (int k = 0; k < servers.length; k++) {
            final int s = (stealFrom + k) % servers.length;
            if (idleTail[s] != NONE) {
                stealFrom = (s + 1) % servers.length;
                return s;
            }
        }
        throw new IllegalStateException("idle count " + idleCount + " but no idle connection");
    }

    /**
     * Give a connection back: parked ({@code IDLE}) it joins its server's idle list, otherwise it is closed first.
     *
     * @param connection a connection from {@link #tryAcquire(int)}.
     */
    public void release(final UpstreamConnection connection) {
        final int server = connection.server;
        inFlight[server]--;
        servers[server].add(thread, UpstreamServer.BUSY, -1);
        if (connection.state == UpstreamConnection.IDLE) {
            linkIdle(connection);
        } else {
            closeCounted(connection);
            connection.server = NONE;
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
        if (connection.state != UpstreamConnection.IDLE) {
            return;
        }
        unlinkIdle(connection);
        closeCounted(connection);
        connection.server = NONE;
        disconnected[disconnectedCount++] = connection.index;
    }

    private void linkIdle(final UpstreamConnection connection) {
        final int c = connection.index;
        final int server = connection.server;
        idlePrev[c] = NONE;
        idleNext[c] = idleHead[server];
        if (idleHead[server] == NONE) {
            idleTail[server] = c;
        } else {
            idlePrev[idleHead[server]] = c;
        }
        idleHead[server] = c;
        idleCount++;
        IDLE.setRelease(this, idleCount);
        servers[server].add(thread, UpstreamServer.IDLE, 1);
    }

    private void unlinkIdle(final UpstreamConnection connection) {
        final int c = connection.index;
        final int server = connection.server;
        final int next = idleNext[c];
        final int prev = idlePrev[c];
        if (prev == NONE) {
            idleHead[server] = next;
        } else {
            idleNext[prev] = next;
        }
        if (next == NONE) {
            idleTail[server] = prev;
        } else {
            idlePrev[next] = prev;
        }
        idleCount--;
        IDLE.setRelease(this, idleCount);
        servers[server].add(thread, UpstreamServer.IDLE, -1);
    }

    /**
     * Count a socket the owner opened with {@link UpstreamConnection#open}.
     *
     * @param connection the connection, its {@code server} set.
     */
    public void onOpened(final UpstreamConnection connection) {
        OPEN.setRelease(this, open + 1);
        servers[connection.server].add(thread, UpstreamServer.OPEN, 1);
    }

    private void closeCounted(final UpstreamConnection connection) {
        if (connection.channel != null) {
            OPEN.setRelease(this, open - 1);
            servers[connection.server].add(thread, UpstreamServer.OPEN, -1);
        }
        connection.close();
    }

    /** @return requests in flight on this thread, by server index: what least-connections balances on. */
    public int[] inFlight() {
        return inFlight;
    }

    /** @return the pool's counters: capacity, taken now, most taken at once, takes that found none free. */
    public PoolCounters counters() {
        return counters;
    }

    /** @return connections open and parked for reuse now, over every server. */
    public int idle() {
        return (int) IDLE.getAcquire(this);
    }

    /**
     * Queue a slot until a connection is free, counted as a failed take.
     *
     * @param slot the slot index, not already queued.
     */
    public void enqueue(final int slot) {
        // Every slot that queues found no connection free for it: a failed take.
        counters.onFailedAcquire();
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

    /**
     * Whether a request that has not waited may take a connection now: one is free and no slot waits. The queue
     * is strictly FIFO: a free connection serves any server (an idle one to another server is closed and
     * reopened), so while slots wait, the next free connection is theirs.
     *
     * @return {@code true} when a new request may take a connection.
     */
    public boolean canServeNew() {
        return queueHead == NONE && hasFree();
    }

    /** @return {@code true} when slots wait and a connection could be taken. */
    public boolean canServeWaiting() {
        return queueHead != NONE && hasFree();
    }

    /** @return {@code true} when a connection is idle or disconnected: free for a request to any server. */
    private boolean hasFree() {
        return idleCount > 0 || disconnectedCount > 0;
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

    /** @return slots waiting for a connection now. */
    public int queued() {
        return (int) QUEUED.getAcquire(this);
    }

    /** @return requests that had to wait for a connection, since start. */
    public long waits() {
        return (long) WAITS.getAcquire(this);
    }
}
