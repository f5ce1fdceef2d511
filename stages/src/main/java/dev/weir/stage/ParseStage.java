package dev.weir.stage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import net.openhft.chronicle.bytes.BytesStore;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.PaceWindow;
import dev.weir.conn.RequestHalf;
import dev.weir.conn.TimeoutKind;
import dev.weir.http.HttpBytes;
import dev.weir.http.ParseStatus;
import dev.weir.http.RequestHeadParser;
import dev.weir.log.RequestCapture;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;

/**
 * Reads from clients into the request half's parse block: request heads, parsed in place; the body parts the
 * upstream stage asks for; and, after an exchange that leaves client input unread, a lingering read that
 * discards it before the close, so the client reads Weir's answer rather than a reset.
 * <p>
 * Deadlines: a head must arrive within {@code timeout.client-head} (else 408, or a silent close when nothing
 * came), an idle keep-alive connection lasts {@code timeout.keep-alive}; a body and a lingering close must move
 * {@code timeout.client-min-rate} over the last window of {@code timeout.client-body} and {@code timeout.linger},
 * judged every half window ({@link MinimumRate}).
 * <p>
 * Under overload an idle keep-alive connection gives its slot up: while the accept stage has stopped accepting
 * for want of a slot and calls for slots ({@link SlotDemand}), this stage closes its connections idle longest
 * between requests (an {@link IdleList}, oldest first, no scan) once idle {@code accept.reclaim-idle-after}, a
 * bounded batch per call, so connections waiting in the listen backlog are seated. HTTP/1.1 allows closing an
 * idle connection at any time (RFC 9112 9.3, 9.6); only a connection with no request byte received is closed,
 * cleanly (a FIN), never one with a request under way.
 * <p>
 * A client's read interest stays registered while its request half is elsewhere: flipping it off and on for
 * every request costs an {@code epoll_ctl} pair. Which request halves this stage owns is tracked in
 * {@link #owned}, written only here; a readiness event for one it does not own (a pipelined request, a client
 * that closes early) is let pass for a few turns, then switches the interest off until the half comes back.
 * <p>
 * Admission: a parsed head is refused, with a 503 this stage writes itself, while the gate of the upstream or
 * write thread its slot is sharded to is closed; the decision is made once per request, before it is queued.
 * <p>
 * <b>Note:</b> one thread per instance; a slot is served by instance {@code index % parseThreads}.
 */
final class ParseStage extends SelectorStage {

    private static final byte[] CONTINUE = HttpBytes.ascii("HTTP/1.1 100 Continue\r\n\r\n");
    private static final int SELF = ConnectionState.OWNER_PARSE;
    /** {@link #checkSilence}: nothing received and nothing unread; the connection is still idle. */
    private static final int SILENT = 0;
    /**
     * {@link #checkSilence}: a request has begun, or the client is still taking its last answer (or lingers
     * over it after leaving); the connection goes on.
     */
    private static final int SPOKE = 1;
    /** {@link #checkSilence}: the client left or failed; the connection is closed and its slot returned. */
    private static final int GONE = 2;
    /** Reads a lingering client gets per turn, so one that floods cannot hold the stage. */
    static final int DEFAULT_LINGER_READS_PER_TURN = 4;
    /** Readinesses of a client whose request half is elsewhere let pass before its read interest is paused. */
    static final int DEFAULT_READY_LET_PASS = 4;
    /** Readinesses of such a client are let pass at least this long after its request was handed on. */
    static final long DEFAULT_READY_LET_PASS_NS = 200_000L;

    private final Wiring wiring;
    private final BytesStore<?, ?> store;
    private final int blockLength;
    private final RequestHeadParser parser = new RequestHeadParser();
    private final ByteBuffer continueView;
    private final boolean[] owned;
    /**
     * Per slot: readinesses let pass while another stage held the request half. The first
     * {@link #DEFAULT_READY_LET_PASS} are let pass, counting as no work so that an otherwise idle turn yields the
     * core: the upstream stage reads an upload's rest from the client itself, usually within a few turns of this
     * stage, and pausing at once cost an {@code epoll_ctl} pair (off now, on again for the next request) per
     * upload larger than the parse block. The next readiness pauses the interest, so this stage never spins on a
     * client it does not own.
     */
    private final byte[] readyLetPass;
    private final long headTimeoutNs;
    private final MinimumRate bodyRate;
    private final long keepAliveTimeoutNs;
    private final MinimumRate lingerRate;
    private final TcpCalls tcpCalls = new TcpCalls();
    private final long reclaimIdleAfterNs;
    private final RequestCapture capture;
    /** Each upstream thread's admission gate, by upstream thread index. */
    private final AdmissionGate[] upstreamGates;
    /** Each write thread's admission gate, by write thread index. */
    private final AdmissionGate[] writeGates;
    /** The preallocated 503 with {@code Retry-After}, written here when a gate refuses a request. */
    private final ByteBuffer serviceUnavailable;
    /** This thread has seen the drain begin and closed its idle connections; later ones close as they idle. */
    private boolean drainSeen;
    /** Connections waiting for their next request with nothing of it received, idle longest first. */
    private final IdleList idle;
    /** The accept stage's call for slots, answered by closing idle connections. */
    private final SlotDemand demand;

    ParseStage(final int id, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final Wiring wiring, final BytesStore<?, ?> parseStore, final int blockLength, final ByteBuffer continueView,
        final ByteBuffer serviceUnavailable, final StageTimeouts timeouts, final RequestCapture capture,
        final AdmissionGate[] upstreamGates, final AdmissionGate[] writeGates, final SlotDemand demand) {
        super("weir-parse-" + id, selector, wake, inbox, wiring.slots.capacity());
        this.wiring = wiring;
        this.upstreamGates = upstreamGates;
        this.writeGates = writeGates;
        this.serviceUnavailable = serviceUnavailable;
        this.store = parseStore;
        this.blockLength = blockLength;
        this.continueView = continueView;
        this.owned = new boolean[wiring.slots.capacity()];
        this.readyLetPass = new byte[wiring.slots.capacity()];
        this.headTimeoutNs = timeouts.clientHeadNs;
        this.bodyRate = timeouts.bodyRate;
        this.keepAliveTimeoutNs = timeouts.keepAliveNs;
        this.lingerRate = timeouts.lingerRate;
        this.reclaimIdleAfterNs = timeouts.reclaimIdleAfterNs;
        this.capture = capture;
        this.demand = demand;
        this.idle = new IdleList(wiring.slots.capacity());
    }

    @Override
    int doOtherWork() {
        if (!drainSeen && wiring.isDraining()) {
            drainSeen = true;
            return closeIdle();
        }
        return reclaimIdle();
    }

    @Override
    boolean hasPendingWork() {
        return super.hasPendingWork() || !drainSeen && wiring.isDraining() || isReclaimDue();
    }

    /** @return {@code true} when slots are called for and this thread has a connection idle long enough. */
    private boolean isReclaimDue() {
        return idle.size() > 0 && demand.isWanted() && System.nanoTime() - idle.oldestSinceNs() >= reclaimIdleAfterNs;
    }

    /**
     * Answer the accept stage's call for slots: close idle connections, oldest first, while the call wants more
     * and the oldest has idled {@code accept.reclaim-idle-after}: a busy client's next request follows its
     * response within far less, so the close rarely crosses a request (one that does is the client's to retry).
     * A connection whose next request has arrived meanwhile is not idle: it goes on, and leaves the list.
     *
     * @return connections closed.
     */
    private int reclaimIdle() {
        int closed = 0;
        while (idle.size() > 0 && nowNs - idle.oldestSinceNs() >= reclaimIdleAfterNs && demand.isWanted()) {
            final ConnectionSlot slot = wiring.slots.slot(idle.oldest());
            final int silence = checkSilence(slot);
            if (silence == SPOKE) {
                continue;
            }
            if (silence == GONE) {
                // Its client left as the slot was called for: the slot is back already and seats a waiting
                // connection all the same, so it answers the call like a closed one, but it was not reclaimed.
                closed++;
            }
            if (!demand.tryTake()) {
                // Another parse thread answered the rest of the call.
                break;
            }
            if (silence == SILENT) {
                // Counted before the slot returns, so whoever sees the waiting connection seated sees the count.
                counters.increment(StageCounters.IDLE_RECLAIMED);
                // Nothing of a request received and nothing unread: a clean close (FIN), and the client may retry.
                closeAndRelease(slot);
                closed++;
            }
        }
        return closed;
    }

    /**
     * Read what an idle connection may have sent: a request that began goes on (and leaves the idle list), a
     * client that left or failed is closed.
     *
     * @return {@link #SILENT} when it is still idle, with nothing received, nothing unread and nothing untaken;
     *     {@link #SPOKE} when it goes on; {@link #GONE} when the connection was closed (its slot returned).
     */
    private int checkSilence(final ConnectionSlot slot) {
        final int read;
        try {
            read = readHead(slot);
        } catch (final IOException ex) {
            // The client failed (a reset, or an answer it would not take): its slot returns anyway.
            if (owned[slot.index]) {
                closeAndRelease(slot);
            }
            return GONE;
        }
        if (read < 0) {
            return owned[slot.index] ? SPOKE : GONE;
        }
        if (read == 0 && owned[slot.index] && slot.request.state == ConnectionState.READING_HEAD
            && slot.request.filled == 0) {
            if (tcpCalls.untakenBytes(slot.clientDescriptor) == 0) {
                return SILENT;
            }
            // Still taking its last answer: not idle yet, and a close would leave that answer to an orphaned
            // socket. To the back of the list, so it is looked at again once it has been idle that long anew.
            idle.add(slot.index, nowNs);
        }
        return SPOKE;
    }

    /**
     * The drain began: close every connection of this thread that waits for a request and has sent none of it,
     * a keep-alive connection between requests or a new one still silent. Those with part of a head go on: a
     * request is in flight.
     *
     * @return connections closed.
     */
    private int closeIdle() {
        int closed = 0;
        for (int i = 0; i < owned.length; i++) {
            if (owned[i]) {
                final ConnectionSlot slot = wiring.slots.slot(i);
                if (slot.request.state == ConnectionState.READING_HEAD && slot.request.filled == 0
                    && closeIfSilent(slot)) {
                    closed++;
                }
            }
        }
        return closed;
    }

    /**
     * While draining: read what a connection waiting for a request may have sent already; close it when it sent
     * nothing. Closing on bytes the kernel holds unread would reset the connection and lose a request the client
     * had sent; those go on, answered with the connection closed after them.
     *
     * @return {@code true} when the connection was closed: it was silent, or its client left or failed.
     */
    private boolean closeIfSilent(final ConnectionSlot slot) {
        final int silence = checkSilence(slot);
        if (silence == SILENT) {
            closeAndRelease(slot);
        }
        return silence != SPOKE;
    }

    /** @return the interim response written to clients that expect it. */
    static byte[] continueBytes() {
        return CONTINUE.clone();
    }

    @Override
    void onSlot(final int index, final boolean responseHalf) throws IOException {
        final ConnectionSlot slot = wiring.slots.slot(index);
        owned[index] = true;
        readyLetPass[index] = 0;
        switch (slot.request.state) {
            case ConnectionState.READING_HEAD:
                if (slot.parseKey == null) {
                    // A new connection, handed on by the accept stage: the hand-offs this thread's gate measures.
                    // A keep-alive hand-off is not: it waits for the client's next request without a wakeup, so
                    // its time in the inbox is the client's, not a queue's.
                    gate.onTaken(nowNs - slot.request.queuedNs, nowNs);
                }
                beginRequest(slot);
                break;
            case ConnectionState.READING_BODY:
                slot.request.filled = 0;
                readBody(slot);
                break;
            case ConnectionState.LINGERING:
                beginLinger(slot);
                break;
            default:
                throw unexpectedState(slot, slot.request.state);
        }
    }

    @Override
    int onReady(final SelectionKey key) throws IOException {
        final ConnectionSlot slot = liveSlot(key);
        if (slot == null) {
            return -1;
        }
        if (!owned[slot.index]) {
            // Bytes or an end of stream while another stage owns the half: wait until it is handed back. A
            // keep-alive hand-off does not wake this stage, so the half may be in the inbox already: the drain
            // takes it, and the bytes that woke the stage are read at once.
            final boolean handedBack = drainInbox() && owned[slot.index];
            if (key.channel() != slot.client || slot.parseKey != key) {
                // The drain closed the slot, or gave it to a new connection: this readiness is a closed socket's.
                return -1;
            }
            if (!handedBack) {
                // A few readinesses, or any within a short while of the hand-on: a sleeping upstream thread may
                // take longer to wake and read the rest through than this stage takes for a few turns.
                if (readyLetPass[slot.index] < DEFAULT_READY_LET_PASS
                    || nowNs - slot.request.queuedNs < DEFAULT_READY_LET_PASS_NS) {
                    if (readyLetPass[slot.index] < DEFAULT_READY_LET_PASS) {
                        readyLetPass[slot.index]++;
                    }
                    onReadyLetPass();
                    return -1;
                }
                counters.increment(StageCounters.READ_PAUSES);
                pause(slot);
                return -1;
            }
        }
        switch (slot.request.state) {
            case ConnectionState.READING_HEAD:
                readHead(slot);
                break;
            case ConnectionState.READING_BODY:
                readBody(slot);
                break;
            case ConnectionState.LINGERING:
                readLinger(slot);
                break;
            default:
                pause(slot);
                break;
        }
        return slot.index;
    }

    @Override
    void onExpiry(final int index, final int kind) {
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (!owned[index]) {
            return;
        }
        switch (slot.request.state) {
            case ConnectionState.READING_HEAD:
                if (slot.request.filled > 0) {
                    answer(slot, 408);
                } else {
                    closeOrLinger(slot);
                }
                break;
            case ConnectionState.READING_BODY:
                if (!paceKept(index, false, bodyRate, slot.request.pace, slot.request.bodyBytesRead,
                    TimeoutKind.CLIENT_BODY)) {
                    abort(slot, 408);
                }
                break;
            case ConnectionState.LINGERING:
                lingerExpired(slot);
                break;
            default:
                throw unexpectedState(slot, slot.request.state);
        }
    }

    private static void pause(final ConnectionSlot slot) {
        try {
            slot.parseKey.interestOps(0);
        } catch (final CancelledKeyException ex) {
            // Another stage closed the client meanwhile; the key is gone with it.
            return;
        }
        // Set before this stage next checks its inbox: a keep-alive hand-off that misses it finds the slot there.
        slot.clientReadPaused = true;
    }

    private static void watch(final ConnectionSlot slot) {
        final SelectionKey key = slot.parseKey;
        if (key.interestOps() != SelectionKey.OP_READ) {
            key.interestOps(SelectionKey.OP_READ);
        }
        if (slot.clientReadPaused) {
            // After the interest is back: the client's bytes wake this stage again.
            slot.clientReadPaused = false;
        }
    }

    private void handOn(final ConnectionSlot slot, final int to) {
        owned[slot.index] = false;
        idle.remove(slot.index);
        timers.cancel(slot.index);
        bodyRate.endWait(slot.request.pace, nowNs);
        wiring.request(slot, to, SELF);
    }

    private void closeAndRelease(final ConnectionSlot slot) {
        closeAndRelease(slot, false);
    }

    /**
     * The client ended its stream, or stayed silent past its keep-alive deadline: close, unless it has not taken
     * its last answer yet; then the connection lingers ({@link #lingerExpired}) rather than leave the answer to an
     * orphaned socket outside the plan.
     */
    private void closeOrLinger(final ConnectionSlot slot) {
        if (tcpCalls.untakenBytes(slot.clientDescriptor) == 0) {
            closeAndRelease(slot);
            return;
        }
        idle.remove(slot.index);
        wiring.request(slot, ConnectionState.LINGERING, SELF);
        try {
            beginLinger(slot);
        } catch (final IOException ex) {
            closeAndRelease(slot, true);
        }
    }

    private void closeAndRelease(final ConnectionSlot slot, final boolean reset) {
        owned[slot.index] = false;
        idle.remove(slot.index);
        timers.cancel(slot.index);
        wiring.closeAndRelease(slot, reset);
    }

    /** Answer from preallocated bytes and close after a lingering read: the request half ends here. */
    private void answer(final ConnectionSlot slot, final int status) {
        counters.increment(StageCounters.ERROR_RESPONSES);
        owned[slot.index] = false;
        idle.remove(slot.index);
        timers.cancel(slot.index);
        slot.request.closeMode = ConnectionSlot.CLOSE_LINGER;
        slot.response.cannedStatus = status;
        // Before the exchange can end: what the access log shows of a refused head, as far as it arrived.
        capture.onHead(slot, slot.request.filled, false);
        // End the request half first: it cannot be the last while this stage still holds the response half.
        wiring.endRequest(slot, SELF);
        slot.response.queuedNs = nowNs;
        wiring.response(slot, ConnectionState.CANNED, SELF);
    }

    /**
     * A gate is closed: write the preallocated 503 here, end both halves and linger. Not through the write stage,
     * whose own gate may be the closed one: a refusal must cost less than serving and must not wait behind the
     * queue it avoids. A fresh exchange's send buffer holds at most the tail of the previous response, so the
     * answer goes out whole unless the client stopped reading; then the connection is reset, so a cut 503 can
     * never pass for a whole one.
     *
     * @param counter {@link StageCounters#OVERLOADED} or {@link StageCounters#OVERLOADED_WRITE}: whose gate.
     */
    private void refuse(final ConnectionSlot slot, final int counter) {
        counters.increment(counter);
        counters.increment(StageCounters.ERROR_RESPONSES);
        owned[slot.index] = false;
        timers.cancel(slot.index);
        capture.onHead(slot, slot.request.filled, false);
        serviceUnavailable.clear();
        slot.facts.status = 503;
        try {
            slot.facts.bytesSent += slot.client.write(serviceUnavailable);
        } catch (final IOException ex) {
            counters.increment(StageCounters.ERRORS);
        }
        if (serviceUnavailable.hasRemaining()) {
            counters.increment(StageCounters.RESETS);
            slot.request.closeMode = ConnectionSlot.CLOSE_RESET;
        } else {
            counters.increment(StageCounters.RESPONSES);
            slot.request.closeMode = ConnectionSlot.CLOSE_LINGER;
        }
        wiring.endRequest(slot, SELF);
        wiring.endResponse(slot, SELF);
    }

    /** The client failed mid-body: the upstream stage drops the origin connection and ends the exchange. */
    private void abort(final ConnectionSlot slot, final int status) {
        slot.request.abortStatus = status;
        pause(slot);
        handOn(slot, ConnectionState.ABORTING_REQUEST);
    }

    private void beginRequest(final ConnectionSlot slot) throws IOException {
        final RequestHalf request = slot.request;
        final boolean newConnection = slot.parseKey == null;
        if (newConnection) {
            slot.parseKey = slot.client.register(selector, SelectionKey.OP_READ, slot);
        }
        final int leftover = request.filled - request.bodyEnd;
        if (leftover > 0 && request.bodyEnd > 0) {
            store.move(request.base + request.bodyEnd, request.base, leftover);
        }
        request.filled = Math.max(0, leftover);
        slot.beginExchange();
        if (request.filled > 0) {
            // A pipelined request: its first bytes are here already.
            slot.facts.started(nowNs);
        }
        final boolean waitingForNext = !newConnection && request.filled == 0;
        deadline(slot.index, waitingForNext ? keepAliveTimeoutNs : headTimeoutNs,
            waitingForNext ? TimeoutKind.KEEP_ALIVE : TimeoutKind.CLIENT_HEAD);
        if (request.filled > 0) {
            parse(slot);
        } else if (drainSeen) {
            // Draining: a connection that would now wait for a request, new or kept alive, is closed unless it
            // has sent one already.
            closeIfSilent(slot);
        } else if (newConnection) {
            // A new client has usually sent its request already: try before waiting for the selector.
            readHead(slot);
        } else {
            // Idle between requests: the first to give its slot up when the accept stage calls for slots.
            idle.add(slot.index, nowNs);
            watch(slot);
        }
    }

    /** @return bytes read: -1 when the client ended the stream (the connection is then closed), 0 for none. */
    private int readHead(final ConnectionSlot slot) throws IOException {
        final RequestHalf request = slot.request;
        final ByteBuffer buffer = request.buffer;
        buffer.limit(blockLength).position(request.filled);
        final int n = slot.client.read(buffer);
        if (n < 0) {
            closeOrLinger(slot);
            return n;
        }
        if (n == 0) {
            watch(slot);
            return n;
        }
        // A request has begun: the connection is no longer idle, and no call for slots may close it now.
        idle.remove(slot.index);
        request.filled += n;
        slot.facts.started(nowNs);
        parse(slot);
        return n;
    }

    private void parse(final ConnectionSlot slot) throws IOException {
        final RequestHalf request = slot.request;
        final int status = parser.parse(store, request.base, request.filled, blockLength, request.head);
        if (status == ParseStatus.NEED_MORE) {
            if (timers.kind(slot.index) == TimeoutKind.KEEP_ALIVE) {
                // The next request has begun but not ended: from now on its head has the head deadline.
                deadline(slot.index, headTimeoutNs, TimeoutKind.CLIENT_HEAD);
            }
            watch(slot);
            return;
        }
        if (status != ParseStatus.COMPLETE) {
            answer(slot, -status);
            return;
        }
        counters.increment(StageCounters.REQUESTS);
        // Decided once, here, for the whole exchange: an admitted request is never refused later, its body parts
        // and its response pass whatever the gates say by then.
        if (!upstreamGates[Wiring.shard(slot.index, upstreamGates.length)].admits(nowNs)) {
            // Requests wait too long at the upstream stage: answer now rather than queue behind them.
            refuse(slot, StageCounters.OVERLOADED);
            return;
        }
        if (!writeGates[Wiring.shard(slot.index, writeGates.length)].admits(nowNs)) {
            // Responses wait too long at the write stage: its answer would too.
            refuse(slot, StageCounters.OVERLOADED_WRITE);
            return;
        }
        // While the head is still whole in the block: body bytes may overwrite it before the exchange ends.
        capture.onHead(slot, request.filled, true);
        request.keepAlive = request.head.isKeepAlive();
        // Weir answers Expect: 100-continue itself (it forwards no Expect), never to an HTTP/1.0 client.
        if (request.head.expectsContinue() && request.head.hasBody() && request.head.version() == 11
            && request.filled == request.head.headLength()) {
            if (!sendContinue(slot)) {
                // Cut, or not taken: the send queue may still hold the end of a previous pipelined response. A
                // reset drops it, where a clean close would leave it to an orphaned socket outside the plan and
                // end a cut interim response as if whole.
                counters.increment(StageCounters.RESETS);
                closeAndRelease(slot, true);
                return;
            }
        }
        request.queuedNs = nowNs;
        handOn(slot, ConnectionState.QUEUED);
    }

    /** @return {@code false} when the interim response could not be written whole. */
    private boolean sendContinue(final ConnectionSlot slot) throws IOException {
        // A fresh exchange's socket buffer is empty: 25 bytes go out at once or the client is not reading.
        continueView.clear();
        slot.client.write(continueView);
        return !continueView.hasRemaining();
    }

    private void readBody(final ConnectionSlot slot) {
        final RequestHalf request = slot.request;
        final int n = readOrEnd(slot, request.filled);
        if (n < 0) {
            // The client left mid-body: the origin connection holds half a request and must go.
            abort(slot, 0);
            return;
        }
        if (n == 0) {
            waitForBody(slot);
            return;
        }
        request.filled += n;
        request.bodyBytesRead += n;
        handOn(slot, ConnectionState.SENDING);
    }

    /**
     * Wait for more of the body. A wait already under way keeps its deadline: the client owes the minimum rate
     * over the window, whatever it trickles meanwhile ({@link #onExpiry}). A tunnel's idle deadline counts bytes
     * both ways, so it lives where both meet: the upstream stage, which wakes this wait when the tunnel closes.
     */
    private void waitForBody(final ConnectionSlot slot) {
        final RequestHalf request = slot.request;
        if (!request.tunnel && !request.pace.waiting) {
            deadline(slot.index, bodyRate.beginWait(request.pace, nowNs, request.bodyBytesRead),
                TimeoutKind.CLIENT_BODY);
        }
        watch(slot);
    }

    private void beginLinger(final ConnectionSlot slot) throws IOException {
        try {
            // The answer is written: a FIN tells the client, whose further bytes are read and dropped below.
            slot.client.shutdownOutput();
        } catch (final IOException ex) {
            closeAndRelease(slot);
            return;
        }
        // A window of its own, after the FIN (which the queue counts as a byte): the client owes the minimum rate
        // of what it has still to take.
        final PaceWindow pace = slot.request.pace;
        pace.reset();
        deadline(slot.index, lingerRate.beginWait(pace, nowNs, -tcpCalls.untakenBytes(slot.clientDescriptor)),
            TimeoutKind.LINGER);
        if (slot.parseKey == null) {
            slot.parseKey = slot.client.register(selector, SelectionKey.OP_READ, slot);
        }
        readLinger(slot);
    }

    private void readLinger(final ConnectionSlot slot) {
        for (int reads = 0; reads < DEFAULT_LINGER_READS_PER_TURN; reads++) {
            final int n = readOrEnd(slot, 0);
            if (n < 0) {
                if (tookAll(tcpCalls.untakenBytes(slot.clientDescriptor))) {
                    closeAndRelease(slot);
                } else {
                    // Half-closed but still taking the answer (or not): the deadline looks at its queue again.
                    slot.parseKey.interestOps(0);
                }
                return;
            }
            if (n == 0) {
                break;
            }
        }
        watch(slot);
    }

    /**
     * The linger's look, every half window: a client that has taken the whole answer is closed once it ended its
     * stream or a whole linger has passed; one still taking it at the minimum rate goes on; one slower than that is
     * reset, which drops the queue instead of leaving it to an orphaned socket.
     */
    private void lingerExpired(final ConnectionSlot slot) {
        final long untaken = tcpCalls.untakenBytes(slot.clientDescriptor);
        final boolean tookAll = tookAll(untaken);
        // A client still sending is read for the whole linger, so it sees the answer rather than a reset; one that
        // ended its stream (readLinger stopped reading it) has nothing more to send and closes at the first look.
        final boolean done = tookAll && (slot.request.pace.halves >= 1 || slot.parseKey.interestOps() == 0);
        if (paceKept(slot.index, done, lingerRate, slot.request.pace, -untaken, TimeoutKind.LINGER)) {
            return;
        }
        if (tookAll) {
            closeAndRelease(slot);
        } else {
            counters.increment(StageCounters.ERRORS);
            closeAndRelease(slot, true);
        }
    }

    /**
     * After Weir's FIN, which the queue counts as one byte until the client acknowledges it: at most that byte left
     * means the client has every byte of the answer.
     */
    private static boolean tookAll(final long untakenAfterShutdown) {
        return untakenAfterShutdown <= 1;
    }

    /**
     * Read from the client into the parse block from {@code from}.
     *
     * @return bytes read, or -1 at the end of stream or when the read failed: either way the client is gone.
     */
    private int readOrEnd(final ConnectionSlot slot, final int from) {
        final ByteBuffer buffer = slot.request.buffer;
        buffer.limit(blockLength).position(from);
        try {
            return slot.client.read(buffer);
        } catch (final IOException ex) {
            return -1;
        }
    }

    @Override
    void onFailure(final int index, final Throwable cause) {
        if (!owned[index]) {
            return;
        }
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (slot.request.state == ConnectionState.READING_BODY) {
            abort(slot, 0);
        } else if (slot.request.state != ConnectionState.FREE) {
            closeAndRelease(slot);
        }
    }
}
