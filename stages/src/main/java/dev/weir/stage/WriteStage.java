package dev.weir.stage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.PaceWindow;
import dev.weir.conn.ResponseHalf;
import dev.weir.conn.TimeoutKind;
import dev.weir.http.BodyFramer;
import dev.weir.http.CannedResponses;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;

/**
 * Writes the response half to clients when the upstream stage could not: canned answers, interim heads, parts a
 * client did not take whole when the upstream stage wrote them through, and every part with
 * {@code write.through} off. When a client reads slowly the half waits here, and the upstream stage reads
 * nothing more for it; a client that takes less than {@code timeout.client-min-rate} over a window of
 * {@code timeout.client-send} is reset and its origin connection freed.
 * <p>
 * After a part the half goes back to the upstream stage for the next one; after the last part, or a canned
 * answer, it ends, which finishes the exchange if the request half has ended too.
 * <p>
 * A client that fills its planned send buffer while more than that much of a response of known length is
 * still to come gets its {@code SO_SNDBUF} grown, from {@link LargeSendBuffers}, so the response streams with
 * fewer waits. After the last part the buffer is shrunk back and the half waits in {@code DRAINING} until the
 * socket is writable again, which Linux reports only once the queue is within the planned size: then the grant
 * is free. A client slower than the minimum rate meanwhile is reset.
 * <p>
 * <b>Note:</b> one thread per instance; a slot is served by instance {@code index % writeThreads}.
 */
final class WriteStage extends SelectorStage {

    private static final int SELF = ConnectionState.OWNER_WRITE;

    private final Wiring wiring;
    private final CannedResponses canned;
    private final MinimumRate sendRate;
    private final boolean[] owned;
    private final LargeSendBuffers largeSendBuffers;
    private final TcpCalls tcpCalls = new TcpCalls();

    WriteStage(final int id, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final Wiring wiring, final CannedResponses canned, final StageTimeouts timeouts) {
        super("weir-write-" + id, selector, wake, inbox, wiring.slots.capacity());
        this.wiring = wiring;
        this.canned = canned;
        this.sendRate = timeouts.sendRate;
        this.owned = new boolean[wiring.slots.capacity()];
        this.largeSendBuffers = wiring.largeSendBuffers;
    }

    @Override
    void onSlot(final int index, final boolean responseHalf) throws IOException {
        final ConnectionSlot slot = wiring.slots.slot(index);
        owned[index] = true;
        gate.onTaken(nowNs - slot.response.queuedNs, nowNs);
        switch (slot.response.state) {
            case ConnectionState.WRITING:
                // Also after a part the upstream stage wrote through in part: the client has often taken more
                // by now (over loopback a send buffer frees as the peer acknowledges), saving a wait for OP_WRITE.
                writeResponse(slot);
                break;
            case ConnectionState.CANNED:
                slot.response.cannedWritten = 0;
                writeCanned(slot);
                break;
            case ConnectionState.DRAINING:
                // The upstream stage wrote the last part through into the grown buffer.
                startDraining(slot);
                break;
            default:
                throw unexpectedState(slot, slot.response.state);
        }
    }

    @Override
    int onReady(final SelectionKey key) throws IOException {
        final ConnectionSlot slot = liveSlot(key);
        if (slot == null) {
            return -1;
        }
        if (!owned[slot.index]) {
            key.interestOps(0);
            return -1;
        }
        switch (slot.response.state) {
            case ConnectionState.WRITING:
                writeResponse(slot);
                break;
            case ConnectionState.DRAINING:
                onDrainingReady(slot);
                break;
            default:
                writeCanned(slot);
                break;
        }
        return slot.index;
    }

    @Override
    void onExpiry(final int index, final int kind) throws IOException {
        if (!owned[index]) {
            return;
        }
        final ConnectionSlot slot = wiring.slots.slot(index);
        // Writability is reported only once a third of the buffer is free; the queue's length tells what the
        // client took before (where it cannot be read, what was written does).
        final long queued = tcpCalls.queuedBytes(slot.clientDescriptor);
        final boolean drained = slot.response.state == ConnectionState.DRAINING && fitsPlan(queued);
        if (paceKept(index, drained, sendRate, slot.response.pace, slot.facts.bytesSent - Math.max(0, queued),
            TimeoutKind.CLIENT_SEND)) {
            return;
        }
        if (drained) {
            drained(slot);
        } else {
            clientFailed(slot);
        }
    }

    private void writeResponse(final ConnectionSlot slot) throws IOException {
        final ResponseHalf response = slot.response;
        int written = ResponsePartWriter.write(slot);
        if (written == ResponsePartWriter.PENDING && mayGrow(slot) && grow(slot)) {
            written = ResponsePartWriter.write(slot);
        }
        if (written == ResponsePartWriter.FAILED) {
            clientFailed(slot);
            return;
        }
        if (written == ResponsePartWriter.PENDING) {
            waitWritable(slot);
            return;
        }
        stopWaiting(slot);
        owned[slot.index] = false;
        if (!response.last) {
            wiring.response(slot, ConnectionState.RECEIVING, SELF);
            return;
        }
        if (slot.sendBufferGrown) {
            // Counted once drained: a client reset before then has not had the response.
            wiring.response(slot, ConnectionState.DRAINING, SELF);
            startDraining(slot);
            return;
        }
        counters.increment(StageCounters.RESPONSES);
        wiring.endResponse(slot, SELF);
    }

    /**
     * Growing pays only when the planned buffer is full and more than it holds is still to come: a response
     * of known length (a stream or a tunnel could hold the grant without end).
     */
    private boolean mayGrow(final ConnectionSlot slot) {
        final BodyFramer framer = slot.response.framer;
        return !slot.sendBufferGrown && !slot.response.last && !slot.request.tunnel
            && framer.mode() == BodyFramer.LENGTH && framer.remainingBytes() >= largeSendBuffers.plannedBytes();
    }

    /** @return {@code true} with the client's send buffer grown under a grant; {@code false}: as it was. */
    private boolean grow(final ConnectionSlot slot) {
        if (!largeSendBuffers.tryTake()) {
            return false;
        }
        if (!tcpCalls.resize(slot.clientDescriptor, largeSendBuffers.grownBytes())) {
            // The write that follows meets the failure, if it is one.
            largeSendBuffers.give();
            return false;
        }
        slot.sendBufferGrown = true;
        return true;
    }

    /** The whole response is queued in a grown buffer: shrink it, then wait for the queue to fit the plan. */
    private void startDraining(final ConnectionSlot slot) throws IOException {
        owned[slot.index] = true;
        if (!tcpCalls.resize(slot.clientDescriptor, largeSendBuffers.plannedBytes())) {
            clientFailed(slot);
            return;
        }
        final long queued = tcpCalls.queuedBytes(slot.clientDescriptor);
        if (fitsPlan(queued)) {
            // A client that kept up has taken most of it already: no wait.
            drained(slot);
            return;
        }
        waitWritable(slot);
    }

    /**
     * Writable while draining. After the shrink the kernel reports it once the queue is within two thirds of the
     * planned (doubled) buffer, within what the plan counts for the socket; a reset reports it too, and so may a
     * readiness the selector took before the shrink, when the grown buffer still had room and this turn then
     * handed the half over. The queue's length tells them apart: within the doubled buffer it has drained
     * (drained() tells a reset apart); beyond it, a reset ends the client, and a stale readiness is let pass, the
     * wait going on (a socket not writable is not reported again, so nothing spins). Not the stricter check of a
     * deadline, at most the planned buffer: between the two the selector would report the key every turn.
     */
    private void onDrainingReady(final ConnectionSlot slot) {
        final long queued = tcpCalls.queuedBytes(slot.clientDescriptor);
        if (queued >= 0 && queued <= 2 * largeSendBuffers.plannedBytes()) {
            drained(slot);
        } else if (!tcpCalls.open(slot.clientDescriptor)) {
            clientFailed(slot);
        }
    }

    /** @return {@code true} when a send queue's length is known and within the planned buffer. */
    private boolean fitsPlan(final long queued) {
        return queued >= 0 && queued <= largeSendBuffers.plannedBytes();
    }

    /**
     * The queue fits the planned buffer again, or the client reset (a reset reads as writable too): the grant is
     * free, and the response counts only if the client is still there to take the rest.
     */
    private void drained(final ConnectionSlot slot) {
        if (!tcpCalls.open(slot.clientDescriptor)) {
            clientFailed(slot);
            return;
        }
        stopWaiting(slot);
        owned[slot.index] = false;
        slot.sendBufferGrown = false;
        largeSendBuffers.give();
        counters.increment(StageCounters.RESPONSES);
        wiring.endResponse(slot, SELF);
    }

    private void writeCanned(final ConnectionSlot slot) throws IOException {
        final ResponseHalf response = slot.response;
        final ByteBuffer view = canned.view(response.cannedStatus, response.cannedWritten);
        slot.facts.status = response.cannedStatus;
        try {
            slot.facts.bytesSent += slot.client.write(view);
        } catch (final IOException ex) {
            clientFailed(slot);
            return;
        }
        response.cannedWritten = view.position();
        if (view.hasRemaining()) {
            waitWritable(slot);
            return;
        }
        stopWaiting(slot);
        owned[slot.index] = false;
        counters.increment(StageCounters.RESPONSES);
        wiring.endResponse(slot, SELF);
    }

    /**
     * Wait for the client to take more. A wait already under way keeps its deadline, which progress does not
     * renew: the client owes the minimum rate over the window ({@link #onExpiry}).
     */
    private void waitWritable(final ConnectionSlot slot) throws IOException {
        final PaceWindow pace = slot.response.pace;
        if (!pace.waiting) {
            final long taken = pace.open ? 0 : takenBytes(slot);
            deadline(slot.index, sendRate.beginWait(pace, nowNs, taken), TimeoutKind.CLIENT_SEND);
        }
        if (slot.writeKey == null) {
            slot.writeKey = slot.client.register(selector, SelectionKey.OP_WRITE, slot);
        } else if (slot.writeKey.interestOps() != SelectionKey.OP_WRITE) {
            slot.writeKey.interestOps(SelectionKey.OP_WRITE);
        }
    }

    /** @return response bytes the client has taken: written less what its socket still queues. */
    private long takenBytes(final ConnectionSlot slot) {
        return slot.facts.bytesSent - Math.max(0, tcpCalls.queuedBytes(slot.clientDescriptor));
    }

    private void stopWaiting(final ConnectionSlot slot) {
        timers.cancel(slot.index);
        sendRate.endWait(slot.response.pace, nowNs);
        if (slot.writeKey != null && slot.writeKey.isValid() && slot.writeKey.interestOps() != 0) {
            slot.writeKey.interestOps(0);
        }
    }

    /** The client failed or stopped reading: reset it; the upstream stage drops an attached origin connection. */
    private void clientFailed(final ConnectionSlot slot) {
        counters.increment(StageCounters.ERRORS);
        stopWaiting(slot);
        owned[slot.index] = false;
        final ResponseHalf response = slot.response;
        if (response.state == ConnectionState.WRITING && !response.last) {
            wiring.response(slot, ConnectionState.ABORTING_RESPONSE, SELF);
            return;
        }
        response.closeMode = ConnectionSlot.CLOSE_RESET;
        Wiring.wakeClientReader(slot);
        wiring.endResponse(slot, SELF);
    }

    @Override
    void onFailure(final int index, final Throwable cause) {
        if (owned[index]) {
            clientFailed(wiring.slots.slot(index));
        }
    }
}
