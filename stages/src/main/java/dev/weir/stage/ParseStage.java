package dev.weir.stage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import net.openhft.chronicle.bytes.BytesStore;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.http.HttpBytes;
import dev.weir.http.ParseStatus;
import dev.weir.http.RequestHeadParser;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;

/**
 * Reads from clients into their slots' parse blocks: request heads, parsed in place, and the parts of request
 * bodies the upstream stage asks for. A complete head goes to the upstream stage; a bad one to the write stage
 * with the status to answer.
 * <p>
 * A client's read interest stays registered while its slot is elsewhere in the pipeline: flipping it off and
 * on for every request costs an {@code epoll_ctl} pair per request. Which slots this stage owns is tracked in
 * {@link #owned}, written only here (set when a slot arrives through the inbox, cleared before it is handed
 * on); a readiness event for a slot the stage does not own (a pipelined request, a client that closes early)
 * switches that interest off until the slot comes back.
 * <p>
 * <b>Note:</b> one thread per instance; a slot is served by instance {@code index % parseThreads}.
 */
final class ParseStage extends SelectorStage {

    private static final byte[] CONTINUE = HttpBytes.ascii("HTTP/1.1 100 Continue\r\n\r\n");

    private final Wiring wiring;
    private final BytesStore<?, ?> store;
    private final int blockLength;
    private final RequestHeadParser parser = new RequestHeadParser();
    private final ByteBuffer continueView;
    private final boolean[] owned;

    ParseStage(final int id, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final Wiring wiring, final BytesStore<?, ?> parseStore, final int blockLength, final ByteBuffer continueView) {
        super("weir-parse-" + id, selector, wake, inbox);
        this.wiring = wiring;
        this.store = parseStore;
        this.blockLength = blockLength;
        this.continueView = continueView;
        this.owned = new boolean[wiring.slots.capacity()];
    }

    /** @return the interim response written to clients that expect it. */
    static byte[] continueBytes() {
        return CONTINUE.clone();
    }

    @Override
    void onSlot(final int index) throws IOException {
        final ConnectionSlot slot = wiring.slots.slot(index);
        owned[index] = true;
        switch (slot.state) {
            case ConnectionState.READING_HEAD:
                beginRequest(slot);
                break;
            case ConnectionState.READING_BODY:
                slot.requestFilled = 0;
                readBody(slot);
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
        if (!owned[slot.index]) {
            // Bytes or an end of stream while another stage owns the slot: wait until it is handed back.
            pause(key);
            return -1;
        }
        if (slot.state == ConnectionState.READING_HEAD) {
            readHead(slot);
        } else if (slot.state == ConnectionState.READING_BODY) {
            readBody(slot);
        } else {
            pause(key);
        }
        return slot.index;
    }

    private static void pause(final SelectionKey key) {
        try {
            key.interestOps(0);
        } catch (final CancelledKeyException ex) {
            // Another stage closed the client meanwhile; the key is gone with it.
        }
    }

    private static void watch(final SelectionKey key) {
        if (key.interestOps() != SelectionKey.OP_READ) {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void toUpstream(final ConnectionSlot slot, final int state) {
        owned[slot.index] = false;
        wiring.toUpstream(slot, state);
    }

    private void toWrite(final ConnectionSlot slot, final int state) {
        owned[slot.index] = false;
        wiring.toWrite(slot, state);
    }

    private void closeAndRelease(final ConnectionSlot slot) {
        owned[slot.index] = false;
        wiring.closeAndRelease(slot);
    }

    private void beginRequest(final ConnectionSlot slot) throws IOException {
        final boolean newConnection = slot.parseKey == null;
        if (newConnection) {
            slot.parseKey = slot.client.register(selector, SelectionKey.OP_READ, slot);
        }
        final int leftover = slot.requestFilled - slot.leftoverStart;
        if (leftover > 0 && slot.leftoverStart > 0) {
            store.move(slot.requestBase + slot.leftoverStart, slot.requestBase, leftover);
        }
        slot.requestFilled = Math.max(0, leftover);
        slot.leftoverStart = 0;
        slot.beginExchange();
        if (slot.requestFilled > 0) {
            parse(slot);
        } else if (newConnection) {
            // A new client has usually sent its request already: try before waiting for the selector.
            readHead(slot);
        } else {
            watch(slot.parseKey);
        }
    }

    private void readHead(final ConnectionSlot slot) throws IOException {
        final ByteBuffer buffer = slot.requestBuffer;
        buffer.limit(blockLength).position(slot.requestFilled);
        final int n = slot.client.read(buffer);
        if (n < 0) {
            closeAndRelease(slot);
            return;
        }
        if (n == 0) {
            watch(slot.parseKey);
            return;
        }
        slot.requestFilled += n;
        parse(slot);
    }

    private void parse(final ConnectionSlot slot) throws IOException {
        final int status = parser.parse(store, slot.requestBase, slot.requestFilled, blockLength, slot.request);
        if (status == ParseStatus.NEED_MORE) {
            watch(slot.parseKey);
            return;
        }
        if (status != ParseStatus.COMPLETE) {
            counters.errorResponses++;
            slot.cannedStatus = -status;
            toWrite(slot, ConnectionState.WRITING_CANNED);
            return;
        }
        counters.requests++;
        slot.keepAlive = slot.request.isKeepAlive();
        if (slot.request.expectsContinue() && slot.request.hasBody()
            && slot.requestFilled == slot.request.headLength()) {
            if (!sendContinue(slot)) {
                closeAndRelease(slot);
                return;
            }
        }
        toUpstream(slot, ConnectionState.FORWARDING_HEAD);
    }

    /** @return {@code false} when the interim response could not be written whole. */
    private boolean sendContinue(final ConnectionSlot slot) throws IOException {
        // A fresh exchange's socket buffer is empty: 25 bytes go out at once or the client is not reading.
        continueView.clear();
        slot.client.write(continueView);
        return !continueView.hasRemaining();
    }

    private void readBody(final ConnectionSlot slot) throws IOException {
        final ByteBuffer buffer = slot.requestBuffer;
        buffer.limit(blockLength).position(slot.requestFilled);
        final int n = slot.client.read(buffer);
        if (n < 0) {
            // The client left mid-body: the origin connection holds half a request and must go.
            pause(slot.parseKey);
            toUpstream(slot, ConnectionState.ABORTING);
            return;
        }
        if (n == 0) {
            watch(slot.parseKey);
            return;
        }
        slot.requestFilled += n;
        toUpstream(slot, ConnectionState.FORWARDING_BODY);
    }

    @Override
    void onFailure(final int index, final Throwable cause) {
        if (!owned[index]) {
            return;
        }
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (slot.upstream != null) {
            toUpstream(slot, ConnectionState.ABORTING);
        } else if (slot.state != ConnectionState.FREE) {
            closeAndRelease(slot);
        }
    }
}
