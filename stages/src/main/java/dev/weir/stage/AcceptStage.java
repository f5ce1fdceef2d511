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
import dev.weir.ring.WakeSignal;

/**
 * Accepts client connections and binds each to a free slot with a parse block and an upstream block; when a
 * pool is empty it answers a preallocated 503 and closes, so overload is shed, never queued.
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

    private final ServerSocketChannel server;
    private final Wiring wiring;
    private final SlotPool<ConnectionSlot> slots;
    private final BlockPool parseBlocks;
    private final BlockPool upstreamBlocks;
    private final int sendBufferBytes;
    private final ByteBuffer serviceUnavailable;
    private final ByteBuffer drain;
    private final SelectionKey serverKey;
    private long resumeAcceptNs;
    private boolean acceptPaused;
    private boolean listenerClosed;

    AcceptStage(final Selector selector, final WakeSignal wake, final ServerSocketChannel server,
        final Wiring wiring, final BlockPool parseBlocks, final BlockPool upstreamBlocks, final int sendBufferBytes,
        final ByteBuffer serviceUnavailable, final ByteBuffer drain) throws IOException {
        super("weir-accept", selector, wake, null, 0);
        this.server = server;
        this.wiring = wiring;
        this.slots = wiring.slots;
        this.parseBlocks = parseBlocks;
        this.upstreamBlocks = upstreamBlocks;
        this.sendBufferBytes = sendBufferBytes;
        this.serviceUnavailable = serviceUnavailable;
        this.drain = drain;
        this.serverKey = server.register(selector, SelectionKey.OP_ACCEPT);
    }

    @Override
    int doOtherWork() {
        if (!listenerClosed && wiring.isDraining()) {
            closeListener();
        }
        if (acceptPaused && nowNs - resumeAcceptNs >= 0 && !listenerClosed) {
            acceptPaused = false;
            serverKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        return slots.drainReturns() ? 1 : 0;
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
    int onReady(final SelectionKey key) {
        for (int i = 0; i < DEFAULT_ACCEPT_BATCH; i++) {
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
                break;
            }
            onAccepted(client);
        }
        return -1;
    }

    private void onAccepted(final SocketChannel client) {
        try {
            client.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
            client.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
        } catch (final IOException ex) {
            counters.increment(StageCounters.ERRORS);
            Wiring.closeQuietly(client);
            return;
        }
        final int index = slots.tryAcquire();
        if (index == SlotPool.NO_SLOT) {
            reject(client);
            return;
        }
        final int requestBlock = parseBlocks.tryAcquire();
        final int responseBlock = requestBlock == BlockPool.NO_BLOCK ? BlockPool.NO_BLOCK
            : upstreamBlocks.tryAcquire();
        if (responseBlock == BlockPool.NO_BLOCK) {
            if (requestBlock != BlockPool.NO_BLOCK) {
                parseBlocks.release(requestBlock);
            }
            slots.release(index);
            reject(client);
            return;
        }
        counters.increment(StageCounters.ACCEPTED);
        final ConnectionSlot slot = slots.slot(index);
        slot.client = client;
        slot.request.block = requestBlock;
        slot.request.buffer = parseBlocks.buffer(requestBlock);
        slot.request.base = parseBlocks.offset(requestBlock);
        slot.request.filled = 0;
        slot.response.block = responseBlock;
        slot.response.buffer = upstreamBlocks.buffer(responseBlock);
        slot.response.base = upstreamBlocks.offset(responseBlock);
        recordAddress(slot, client);
        wiring.request(slot, ConnectionState.READING_HEAD, ConnectionState.OWNER_NONE);
    }

    /**
     * Answer 503 from the preallocated bytes and close; best effort, never blocks. Without a slot there is no
     * lingering read, so the request bytes that have already arrived are read and dropped before the close:
     * closing with them unread would reset the connection, and the client could lose the 503.
     */
    private void reject(final SocketChannel client) {
        counters.increment(StageCounters.REJECTED);
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
