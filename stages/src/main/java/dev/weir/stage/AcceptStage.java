package dev.weir.stage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import dev.weir.arena.BlockPool;
import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.ring.SlotPool;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;

/**
 * Accepts client connections and binds each to a free slot with a parse block and an upstream block.
 * <p>
 * It accepts only what it can seat: when a pool is empty it stops accepting and leaves new connections in the
 * kernel's listen backlog ({@code accept.backlog}; the kernel refuses what does not fit), and accepts again as
 * soon as a slot comes back. Once accepting has been paused for {@code accept.queue-timeout} it sheds: it
 * accepts at most a backlog's worth of waiting connections, seats any a returned slot can take and answers the
 * rest a preallocated 503, then pauses again. A waiting client so gets a slot or a 503 within about the queue
 * timeout, and shedding costs at most about one backlog of connections per queue timeout, whatever the offered
 * load.
 * <p>
 * While it waits for a slot with a connection in the backlog it calls for slots ({@link SlotDemand}): the parse
 * stages close idle keep-alive connections, oldest first, and the slots that come back seat the waiting
 * connections, so a peer idling between requests cannot keep a waiting one out.
 * <p>
 * A new connection takes a free slot sharded to a parse thread whose admission gate is open; while the gates of
 * all the threads with free slots are closed, it is answered the same 503 instead of handed on: a late parse thread
 * gets no more connections to read, and the others still take theirs.
 * <p>
 * It also owns the slot and block pools: slots come back to it through the slot pool's return ring, and it
 * releases their blocks before they are reused, so every pool has one owner thread.
 * <p>
 * <b>Note:</b> single thread.
 */
final class AcceptStage extends SelectorStage {

    /** Most connections accepted in one turn, so returned slots and other work are not starved. */
    static final int DEFAULT_ACCEPT_BATCH = 64;
    /**
     * Pause after {@code accept} fails (e.g. EMFILE, out of descriptors): the pending connection stays queued
     * and the listening socket stays ready, so accepting again at once would spin the thread.
     */
    static final long DEFAULT_ACCEPT_BACKOFF_NS = 50_000_000L;
    /** Reads of already-arrived request bytes before a rejected connection is closed. */
    static final int DEFAULT_REJECT_DRAIN_READS = 8;
    /** Bytes of the accept arena each such read takes. */
    static final int DEFAULT_REJECT_DRAIN_BYTES = 2048;
    /**
     * Most idle keep-alive connections one call for slots closes, as nginx's {@code ngx_drain_connections} (which
     * closes an eighth of its idle connections, 1 to 32, per call).
     */
    static final int DEFAULT_RECLAIM_BATCH_MAX = 32;
    /** {@link #waitingSinceNs} when no connection can be waiting in the backlog for want of a slot. */
    private static final long NOT_WAITING = Long.MIN_VALUE;

    private final ServerSocketChannel server;
    private final Wiring wiring;
    private final SlotPool<ConnectionSlot> slots;
    private final BlockPool parseBlocks;
    private final BlockPool upstreamBlocks;
    /** Boxed once: {@code setOption} takes an {@code Integer}, and values above 127 are not cached. */
    private final Integer sendBufferBytes;
    private final ByteBuffer serviceUnavailable;
    private final ByteBuffer drain;
    private final SelectionKey serverKey;
    /** Each parse thread's admission gate, by parse thread index. */
    private final AdmissionGate[] parseGates;
    /** Accepts a free slot while its parse thread's gate admits: a field, so acquiring allocates nothing. */
    private final SlotPool.SlotFilter parseAdmits = this::parseAdmits;
    /** Each parse thread's gate as read once per new connection, so the walk over free slots reads no gate. */
    private final boolean[] parseOpen;
    private final long queueTimeoutNs;
    private final int shedPerRound;
    private long resumeAcceptNs;
    /** Backing off after a failed {@code accept}. */
    private boolean acceptPaused;
    /** Not accepting because a pool is empty; new connections wait in the listen backlog. */
    private boolean poolPaused;
    /**
     * Start of the current wait in the backlog: the first pause since {@code accept} last found the backlog
     * empty, or the end of the last shed round; {@link #NOT_WAITING} when nothing may wait.
     */
    private long waitingSinceNs = NOT_WAITING;
    /** Connections a shed round may still answer 503; 0 when no round is on. */
    private int shedLeft;
    private boolean listenerClosed;
    /** The call for slots this stage makes while it waits for one, answered by the parse stages. */
    private final SlotDemand demand;
    /**
     * Idle connections the last call could close: 1 for a new wait, doubled, up to
     * {@link #DEFAULT_RECLAIM_BATCH_MAX}, at a call that follows the seats of the last one while connections still
     * wait. One waiting connection so costs one idle connection, and a crowd is seated in a few calls: the
     * backlog's length cannot be read, hence the doubling (as TCP's slow start).
     */
    private int reclaimBatch = 1;
    /**
     * The slots that came back while this stage called for them are being seated: set when a pause for want of a
     * slot ends with room, and kept while the wait goes on, since a call's slots may come back over several turns;
     * cleared by the next call, or when no connection waits any more.
     */
    private boolean seatingCall;
    /**
     * The last free slot went to the seats of the last call for slots: a connection still ready at the next select
     * waits beyond what the call freed, and the next call grows. Only those seats count: the last slot taken by any
     * other accept says nothing of the call, and the first call of a wait must close one idle connection.
     */
    private boolean filledLastTurn;
    /** {@link #onReady} ran this turn: the listening socket was reported ready. */
    private boolean readyThisTurn;

    /**
     * @param queueTimeoutNs longest a connection waits in the backlog for a slot ({@code accept.queue-timeout}).
     * @param shedPerRound   most connections one shed round answers 503: the backlog ({@code accept.backlog}).
     * @param demand         where this stage calls for slots while connections wait for one.
     * @param parseGates     each parse thread's admission gate: a new connection takes a free slot of a thread
     *                       whose gate is open, and is answered 503 here when there is none.
     */
    AcceptStage(final Selector selector, final WakeSignal wake, final ServerSocketChannel server,
        final Wiring wiring, final BlockPool parseBlocks, final BlockPool upstreamBlocks, final int sendBufferBytes,
        final ByteBuffer serviceUnavailable, final ByteBuffer drain, final long queueTimeoutNs,
        final int shedPerRound, final SlotDemand demand, final AdmissionGate[] parseGates) throws IOException {
        super("weir-accept", selector, wake, null, 0);
        this.server = server;
        this.wiring = wiring;
        this.slots = wiring.slots;
        this.parseBlocks = parseBlocks;
        this.upstreamBlocks = upstreamBlocks;
        this.sendBufferBytes = Integer.valueOf(sendBufferBytes);
        this.serviceUnavailable = serviceUnavailable;
        this.drain = drain;
        this.queueTimeoutNs = queueTimeoutNs;
        this.shedPerRound = shedPerRound;
        this.demand = demand;
        this.parseGates = parseGates;
        this.parseOpen = new boolean[parseGates.length];
        this.serverKey = server.register(selector, SelectionKey.OP_ACCEPT);
    }

    @Override
    int doOtherWork() {
        if (!listenerClosed && wiring.isDraining()) {
            closeListener();
        }
        final boolean returned = slots.drainReturns();
        if (listenerClosed) {
            return returned ? 1 : 0;
        }
        boolean resume = false;
        if (acceptPaused && nowNs - resumeAcceptNs >= 0) {
            acceptPaused = false;
            resume = true;
        }
        if (poolPaused && (hasRoom() || nowNs - waitingSinceNs >= queueTimeoutNs)) {
            // A slot came back (the accept stage owns the returns, so it knows at once), or the wait is over.
            poolPaused = false;
            shedLeft = hasRoom() ? 0 : shedPerRound;
            seatingCall = shedLeft == 0;
            resume = true;
            // Seated or shed from here on: no idle connection need give its slot up for this wait any more.
            demand.satisfied();
        }
        if (resume && !acceptPaused && !poolPaused) {
            serverKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        return returned || resume ? 1 : 0;
    }

    /** @return {@code true} when a new connection would get a slot and both blocks. */
    private boolean hasRoom() {
        return slots.hasFree() && parseBlocks.available() > 0 && upstreamBlocks.available() > 0;
    }

    /**
     * Stop accepting for want of a slot: new connections wait in the listen backlog until a slot returns or the
     * queue timeout passes. Meanwhile call for slots: the parse stages close idle keep-alive connections.
     */
    private void pauseForPools() {
        counters.increment(StageCounters.ACCEPT_PAUSES);
        poolPaused = true;
        serverKey.interestOps(0);
        if (waitingSinceNs == NOT_WAITING) {
            waitingSinceNs = nowNs;
        }
        // Ready right after the last free slot was taken: the seats the last call freed did not empty the backlog.
        reclaimBatch = filledLastTurn ? Math.min(DEFAULT_RECLAIM_BATCH_MAX, reclaimBatch << 1) : 1;
        filledLastTurn = false;
        // This call's seats begin when it ends with room.
        seatingCall = false;
        demand.want(reclaimBatch);
        final StageRing[] parseRings = wiring.parseRings;
        for (int i = 0; i < parseRings.length; i++) {
            // A wakeup only for a parse thread that sleeps: one that is awake sees the call at its next turn.
            parseRings[i].wakeConsumer();
        }
    }

    @Override
    boolean hasPendingWork() {
        return slots.hasReturns() || !listenerClosed && wiring.isDraining();
    }

    /**
     * The drain began: close the listening socket on this, its owner's, thread. New connections are refused by
     * the kernel from now on (or, with {@code SO_REUSEPORT}, go to another process on the port); connections
     * queued but not yet accepted are reset.
     */
    private void closeListener() {
        listenerClosed = true;
        demand.satisfied();
        serverKey.cancel();
        try {
            server.close();
        } catch (final IOException ex) {
            counters.increment(StageCounters.ERRORS);
        }
    }

    @Override
    void onSlot(final int slot, final boolean responseHalf) {
        throw new IllegalStateException("the accept stage has no inbox");
    }

    @Override
    void onExpiry(final int slot, final int kind) {
        throw new IllegalStateException("the accept stage has no deadlines");
    }

    @Override
    public int doWork() throws Exception {
        // Cleared first: a readiness handled in the idle sleep before this turn belongs to no turn's select.
        readyThisTurn = false;
        final int work = super.doWork();
        if (!readyThisTurn) {
            // The turn's select found no connection waiting after the last free slot was taken: the wait is over.
            filledLastTurn = false;
            seatingCall = false;
            if (!poolPaused && !acceptPaused) {
                // Accepting was on and nobody was ready: the backlog is empty, so a later pause starts a new wait
                // (its own queue timeout), not the end of this one.
                waitingSinceNs = NOT_WAITING;
                shedLeft = 0;
            }
        }
        return work;
    }

    @Override
    int onReady(final SelectionKey key) {
        readyThisTurn = true;
        for (int i = 0; i < DEFAULT_ACCEPT_BATCH; i++) {
            if (shedLeft == 0 && !hasRoom()) {
                if (i == 0) {
                    // The listening socket was reported ready: a connection waits for the slot it lacks.
                    pauseForPools();
                } else {
                    // The last free slot went to this batch and whether another connection waits is unknown:
                    // accepting stays on, so the next select tells, and only a waiting connection pauses
                    // accepting and makes idle connections give their slots up.
                    filledLastTurn = seatingCall;
                }
                break;
            }
            final SocketChannel client;
            try {
                // Allocates: the JDK creates a SocketChannel (and later SelectionKeys) per accepted connection;
                // NIO cannot accept into an existing channel object. Requests on the connection allocate nothing.
                client = server.accept();
            } catch (final IOException ex) {
                // Out of descriptors or a transient failure: back off instead of spinning on a ready socket.
                counters.increment(StageCounters.ERRORS);
                serverKey.interestOps(0);
                acceptPaused = true;
                resumeAcceptNs = System.nanoTime() + DEFAULT_ACCEPT_BACKOFF_NS;
                break;
            }
            if (client == null) {
                // The backlog is empty: nobody waits, so a later pause starts a new wait.
                waitingSinceNs = NOT_WAITING;
                shedLeft = 0;
                seatingCall = false;
                break;
            }
            if (!onAccepted(client) && shedLeft > 0 && --shedLeft == 0) {
                // The round answered a backlog's worth; those arriving meanwhile wait a full timeout again.
                waitingSinceNs = nowNs;
            }
        }
        return -1;
    }

    /** @return {@code false} when the connection was answered 503 (or failed) instead of seated. */
    private boolean onAccepted(final SocketChannel client) {
        try {
            client.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
            client.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
        } catch (final IOException ex) {
            counters.increment(StageCounters.ERRORS);
            Wiring.closeQuietly(client);
            return false;
        }
        // A slot of a parse thread whose gate is open: with one thread late, the free slots of the others serve.
        boolean anyOpen = false;
        for (int i = 0; i < parseGates.length; i++) {
            parseOpen[i] = parseGates[i].admits(nowNs);
            anyOpen |= parseOpen[i];
        }
        // With every gate closed no free slot is taken: no walk over them (an empty pool still counts as one).
        final int index = anyOpen || !slots.hasFree() ? slots.tryAcquire(parseAdmits) : SlotPool.NO_MATCH;
        if (index == SlotPool.NO_SLOT) {
            counters.increment(StageCounters.REJECTED);
            reject(client);
            return false;
        }
        if (index == SlotPool.NO_MATCH) {
            // New connections wait too long for every parse thread a free slot belongs to: answer now, before any
            // of their work.
            counters.increment(StageCounters.OVERLOADED);
            reject(client);
            return false;
        }
        final int requestBlock = parseBlocks.tryAcquire();
        final int responseBlock = requestBlock == BlockPool.NO_BLOCK ? BlockPool.NO_BLOCK
            : upstreamBlocks.tryAcquire();
        if (responseBlock == BlockPool.NO_BLOCK) {
            if (requestBlock != BlockPool.NO_BLOCK) {
                parseBlocks.release(requestBlock);
            }
            slots.release(index);
            counters.increment(StageCounters.REJECTED);
            reject(client);
            return false;
        }
        counters.increment(StageCounters.ACCEPTED);
        final ConnectionSlot slot = slots.slot(index);
        slot.client = client;
        slot.clientDescriptor = TcpCalls.descriptor(client);
        slot.request.block = requestBlock;
        slot.request.buffer = parseBlocks.buffer(requestBlock);
        slot.request.base = parseBlocks.offset(requestBlock);
        slot.request.filled = 0;
        slot.response.block = responseBlock;
        slot.response.buffer = upstreamBlocks.buffer(responseBlock);
        slot.response.base = upstreamBlocks.offset(responseBlock);
        recordAddress(slot, client);
        // For the parse thread's admission gate: how long the connection then waits in its inbox.
        slot.request.queuedNs = nowNs;
        wiring.request(slot, ConnectionState.READING_HEAD, ConnectionState.OWNER_NONE);
        return true;
    }

    /** @return whether the parse thread that slot {@code index} belongs to admitted the connection being seated. */
    private boolean parseAdmits(final int index) {
        return parseOpen[Wiring.shard(index, parseOpen.length)];
    }

    /**
     * Answer 503 (with {@code Retry-After}) from the preallocated bytes and close; best effort, never blocks.
     * Without a slot there is no lingering read, so the request bytes that have already arrived are read and
     * dropped before the close:
     * closing with them unread would reset the connection, and the client could lose the 503.
     */
    private void reject(final SocketChannel client) {
        try {
            serviceUnavailable.clear();
            client.write(serviceUnavailable);
            client.shutdownOutput();
            for (int i = 0; i < DEFAULT_REJECT_DRAIN_READS; i++) {
                drain.clear();
                if (client.read(drain) <= 0) {
                    break;
                }
            }
        } catch (final IOException ignored) {
            // The client is gone or its buffer is full: closing is all that is left to do.
        }
        Wiring.closeQuietly(client);
    }

    private static void recordAddress(final ConnectionSlot slot, final SocketChannel client) {
        slot.clientAddressLength = 0;
        try {
            // Allocates: the remote address objects, once per connection.
            final InetAddress address = ((InetSocketAddress) client.getRemoteAddress()).getAddress();
            final byte[] raw = address.getAddress();
            if (raw.length == 4) {
                int n = 0;
                for (int i = 0; i < 4; i++) {
                    if (i > 0) {
                        slot.clientAddress[n++] = '.';
                    }
                    n = appendDecimal(slot.clientAddress, n, raw[i] & 0xFF);
                }
                slot.clientAddressLength = n;
            } else {
                final byte[] text = address.getHostAddress().getBytes(StandardCharsets.US_ASCII);
                final int n = Math.min(text.length, slot.clientAddress.length);
                System.arraycopy(text, 0, slot.clientAddress, 0, n);
                slot.clientAddressLength = n;
            }
        } catch (final IOException ex) {
            slot.clientAddress[0] = '-';
            slot.clientAddressLength = 1;
        }
    }

    private static int appendDecimal(final byte[] dst, final int at, final int value) {
        int n = at;
        if (value >= 100) {
            dst[n++] = (byte) ('0' + value / 100);
        }
        if (value >= 10) {
            dst[n++] = (byte) ('0' + value / 10 % 10);
        }
        dst[n++] = (byte) ('0' + value % 10);
        return n;
    }

    /**
     * Owner of the pools: release a returned slot's blocks before the slot is reused.
     *
     * @param index the returned slot.
     */
    void onSlotReturned(final int index) {
        final ConnectionSlot slot = slots.slot(index);
        if (slot.request.block != BlockPool.NO_BLOCK) {
            parseBlocks.release(slot.request.block);
        }
        if (slot.response.block != BlockPool.NO_BLOCK) {
            upstreamBlocks.release(slot.response.block);
        }
        slot.clear();
    }

    @Override
    void onFailure(final int slot, final Throwable cause) {
        // Never reached: the accept stage's failures are not traced to a slot (they close the new socket).
    }

    @Override
    public void onClose() {
        try {
            server.close();
        } catch (final IOException ignored) {
            // Shutting down.
        }
        super.onClose();
    }
}
