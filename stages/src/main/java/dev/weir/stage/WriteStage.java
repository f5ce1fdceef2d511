package dev.weir.stage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.http.CannedResponses;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;

/**
 * Writes to clients: each response part the upstream stage read, and canned error responses. When a client
 * reads slowly the slot waits here, and the upstream stage reads nothing more for it.
 * <p>
 * After the last part the slot goes back to the parse stage (keep-alive) or is closed and freed; after any
 * other part it goes back to the upstream stage for the next one.
 * <p>
 * <b>Note:</b> one thread per instance; a slot is served by instance {@code index % writeThreads}.
 */
final class WriteStage extends SelectorStage {

    private final Wiring wiring;
    private final CannedResponses canned;

    WriteStage(final int id, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final Wiring wiring, final CannedResponses canned) {
        super("weir-write-" + id, selector, wake, inbox);
        this.wiring = wiring;
        this.canned = canned;
    }

    @Override
    void onSlot(final int index) throws IOException {
        final ConnectionSlot slot = wiring.slots.slot(index);
        switch (slot.state) {
            case ConnectionState.WRITING_RESPONSE:
                writeResponse(slot);
                break;
            case ConnectionState.WRITING_CANNED:
                slot.cannedWritten = 0;
                writeCanned(slot);
                break;
            default:
                throw unexpectedState(slot);
        }
    }

    @Override
    int onReady(final SelectionKey key) throws IOException {
        final ConnectionSlot slot = liveSlot(key);
        if (slot == null) {
            return -1;
        }
        if (slot.state == ConnectionState.WRITING_RESPONSE) {
            writeResponse(slot);
        } else if (slot.state == ConnectionState.WRITING_CANNED) {
            writeCanned(slot);
        } else {
            key.interestOps(0);
        }
        return slot.index;
    }

    private void writeResponse(final ConnectionSlot slot) throws IOException {
        final ByteBuffer buffer = slot.responseBuffer;
        try {
            slot.client.write(buffer);
        } catch (final IOException ex) {
            onClientGone(slot);
            return;
        }
        if (buffer.hasRemaining()) {
            waitWritable(slot);
            return;
        }
        stopWaiting(slot);
        if (!slot.responseComplete) {
            wiring.toUpstream(slot, ConnectionState.READING_RESPONSE);
            return;
        }
        counters.responses++;
        if (slot.keepAlive) {
            wiring.toParse(slot, ConnectionState.READING_HEAD);
        } else {
            wiring.closeAndRelease(slot);
        }
    }

    private void writeCanned(final ConnectionSlot slot) throws IOException {
        final ByteBuffer view = canned.view(slot.cannedStatus, slot.cannedWritten);
        try {
            slot.client.write(view);
        } catch (final IOException ex) {
            onClientGone(slot);
            return;
        }
        slot.cannedWritten = view.position();
        if (view.hasRemaining()) {
            waitWritable(slot);
            return;
        }
        stopWaiting(slot);
        counters.responses++;
        wiring.closeAndRelease(slot);
    }

    private void waitWritable(final ConnectionSlot slot) throws IOException {
        if (slot.writeKey == null) {
            slot.writeKey = slot.client.register(selector, SelectionKey.OP_WRITE, slot);
        } else {
            slot.writeKey.interestOps(SelectionKey.OP_WRITE);
        }
    }

    private void stopWaiting(final ConnectionSlot slot) {
        if (slot.writeKey != null) {
            slot.writeKey.interestOps(0);
        }
    }

    private void onClientGone(final ConnectionSlot slot) {
        counters.errors++;
        stopWaiting(slot);
        if (slot.upstream != null) {
            wiring.toUpstream(slot, ConnectionState.ABORTING);
        } else {
            wiring.closeAndRelease(slot);
        }
    }

    @Override
    void onFailure(final int index, final Throwable cause) {
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (slot.state == ConnectionState.FREE) {
            return;
        }
        onClientGone(slot);
    }
}
