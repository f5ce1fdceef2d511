package dev.weir.stage;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.weir.conn.ConnectionMoves;
import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.ExchangeObserver;
import dev.weir.ring.SlotPool;
import dev.weir.ring.StageRing;

/**
 * The one place a half of a slot changes state: {@link #request} and {@link #response} check each move
 * against {@link ConnectionMoves}, set the state, and hand the half to the stage that owns the new state
 * (slot index modulo that stage's thread count) when that is not the caller. The exchange's end, keep-alive,
 * lingering, close or reset, is decided here too ({@link #endRequest}, {@link #endResponse}).
 * <p>
 * <b>Note:</b> built at startup and never changed; every method is safe from any stage thread for a half the
 * caller owns.
 */
final class Wiring {

    private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);

    final SlotPool<ConnectionSlot> slots;
    final StageRing[] parseRings;
    final StageRing[] upstreamRings;
    final StageRing[] writeRings;
    /** The grants of grown client send buffers; a reset gives a connection's back. */
    final LargeSendBuffers largeSendBuffers;
    /** Per owner constant, one observer per stage thread of that owner; set before the stages start. */
    private final ExchangeObserver[][] observers = new ExchangeObserver[ConnectionState.OWNER_WRITE + 1][];
    /**
     * Set once, by the control thread, when a drain begins; read by the stages per turn or per exchange end. A
     * volatile read is a plain load on x86 and allocates nothing.
     */
    private volatile boolean draining;

    Wiring(final SlotPool<ConnectionSlot> slots, final StageRing[] parseRings, final StageRing[] upstreamRings,
        final StageRing[] writeRings, final LargeSendBuffers largeSendBuffers) {
        this.slots = slots;
        this.parseRings = parseRings;
        this.upstreamRings = upstreamRings;
        this.writeRings = writeRings;
        this.largeSendBuffers = largeSendBuffers;
        observers[ConnectionState.OWNER_PARSE] = none(parseRings.length);
        observers[ConnectionState.OWNER_UPSTREAM] = none(upstreamRings.length);
        observers[ConnectionState.OWNER_WRITE] = none(writeRings.length);
    }

    private static ExchangeObserver[] none(final int threads) {
        final ExchangeObserver[] none = new ExchangeObserver[threads];
        Arrays.fill(none, ExchangeObserver.NONE);
        return none;
    }

    /**
     * Tell an observer of the exchanges that a stage thread finishes; before the stages start.
     *
     * @param owner    the stage's {@code ConnectionState.OWNER_*} constant.
     * @param thread   the stage thread's index.
     * @param observer told of each exchange that thread finishes.
     */
    void observe(final int owner, final int thread, final ExchangeObserver observer) {
        observers[owner][thread] = observer;
    }

    /** Begin the drain: from now on exchanges end with the connection closed. Any thread, once. */
    void startDrain() {
        draining = true;
    }

    /** @return {@code true} once the drain has begun (a volatile read). */
    boolean isDraining() {
        return draining;
    }

    /**
     * Move the request half.
     *
     * @param slot the slot.
     * @param to   the new state.
     * @param self the caller's {@code ConnectionState.OWNER_*}: no hand-off when it owns the new state too.
     */
    void request(final ConnectionSlot slot, final int to, final int self) {
        final int from = slot.request.state;
        check(slot, from, to);
        slot.request.state = to;
        handOff(slot, 0, to, self);
    }

    /**
     * Move the response half.
     *
     * @param slot the slot.
     * @param to   the new state.
     * @param self the caller's {@code ConnectionState.OWNER_*}.
     */
    void response(final ConnectionSlot slot, final int to, final int self) {
        final int from = slot.response.state;
        check(slot, from, to);
        slot.response.state = to;
        handOff(slot, ConnectionSlot.RESPONSE_HALF, to, self);
    }

    /**
     * End the request half; when the response half has ended too, finish the exchange.
     *
     * @param slot the slot.
     * @param self the caller's owner constant.
     */
    void endRequest(final ConnectionSlot slot, final int self) {
        request(slot, ConnectionState.REQUEST_DONE, self);
        if (slot.endHalf()) {
            finish(slot, self);
        }
    }

    /**
     * End the response half; when the request half has ended too, finish the exchange.
     *
     * @param slot the slot.
     * @param self the caller's owner constant.
     */
    void endResponse(final ConnectionSlot slot, final int self) {
        response(slot, ConnectionState.RESPONSE_DONE, self);
        if (slot.endHalf()) {
            finish(slot, self);
        }
    }

    /**
     * Both halves ended: tell the finishing thread's observer, then keep the connection for the next request,
     * linger, close or reset it.
     */
    private void finish(final ConnectionSlot slot, final int self) {
        int mode = slot.closeMode();
        if (mode == ConnectionSlot.CLOSE_NONE && draining) {
            // While draining no connection is kept: the process is about to stop. A lingering close, because a
            // keep-alive client may have sent its next request already: closing on unread bytes would reset the
            // connection and could destroy the response just written in the client's buffer.
            mode = ConnectionSlot.CLOSE_LINGER;
        } else if (mode == ConnectionSlot.CLOSE_NONE && !slot.request.keepAlive) {
            // Every clean close lingers: the slot keeps the socket until the client has taken what is still
            // queued, so no orphaned socket holds response bytes outside the plan while its slot serves another.
            mode = ConnectionSlot.CLOSE_LINGER;
        }
        final ExchangeObserver[] mine = observers[self];
        mine[slot.index % mine.length].onExchangeEnd(slot);
        response(slot, ConnectionState.IDLE, ConnectionState.OWNER_NONE);
        switch (mode) {
            case ConnectionSlot.CLOSE_NONE:
                nextRequest(slot);
                break;
            case ConnectionSlot.CLOSE_LINGER:
                request(slot, ConnectionState.LINGERING, ConnectionState.OWNER_NONE);
                break;
            default:
                closeAndRelease(slot, mode == ConnectionSlot.CLOSE_RESET);
                break;
        }
    }

    /**
     * Keep-alive: hand the request half back to its parse stage for the next head, paying a selector wakeup
     * only when the parse stage needs one. Its client's read interest normally stays registered, so the
     * client's next bytes wake the parse stage through its own selector, which then finds the slot in its
     * inbox; a parse stage asleep meanwhile takes the slot, and starts its keep-alive deadline, at its next
     * turn, at most one idle select timeout later. Bytes of the next request already in the block, or a
     * paused read interest, make the hand-off wake it as any other.
     */
    private void nextRequest(final ConnectionSlot slot) {
        final int from = slot.request.state;
        check(slot, from, ConnectionState.READING_HEAD);
        slot.request.state = ConnectionState.READING_HEAD;
        final StageRing ring = parseRings[shard(slot.index, parseRings.length)];
        // Read before the publish: from then on the request half is the parse stage's.
        final boolean nextBytesBuffered = slot.request.filled > slot.request.bodyEnd;
        offer(ring, slot, 0, ConnectionState.READING_HEAD, false);
        // Read after the publish: either the parse stage pauses the interest later and then checks its inbox
        // before it sleeps, or this read sees the pause and wakes it.
        if (nextBytesBuffered || slot.clientReadPaused) {
            ring.wakeConsumer();
        }
    }

    /**
     * Close the client and return the slot; the accept stage releases its blocks when it takes it back.
     *
     * @param slot  a slot whose request half is the caller's or ended, with no origin connection attached.
     * @param reset reset the connection ({@code SO_LINGER} 0) instead of closing it cleanly.
     */
    void closeAndRelease(final ConnectionSlot slot, final boolean reset) {
        if (reset) {
            resetQuietly(slot.client);
        } else {
            closeQuietly(slot.client);
        }
        if (slot.sendBufferGrown) {
            // Only a reset ends a grown socket's exchange before the write stage has seen its queue drain (a
            // clean end waits for that), and a reset drops the queue: the grant is free again.
            slot.sendBufferGrown = false;
            largeSendBuffers.give();
        }
        request(slot, ConnectionState.FREE, ConnectionState.OWNER_NONE);
        if (slots.release(slot.index) != StageRing.OFFERED) {
            LOG.error("slot {} released twice; the second release was refused", slot.index);
        }
    }

    /**
     * Wake the parse stage if it waits on the client for the request half of a failed exchange: shutting the
     * input down makes its pending read end at once instead of at its deadline. Nothing is sent to the client;
     * in particular no FIN, which would let a truncated response pass for a whole one before the reset.
     *
     * @param slot the slot, while the caller still holds one of its halves.
     */
    static void wakeClientReader(final ConnectionSlot slot) {
        try {
            slot.client.shutdownInput();
        } catch (final IOException ignored) {
            // Already closed or reset: the waiting stage sees that instead.
        }
    }

    static void closeQuietly(final SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (final IOException ignored) {
                // Closing is best effort: the descriptor is gone either way.
            }
        }
    }

    /** Close with {@code SO_LINGER} 0: the peer gets a reset, never a clean end of stream. */
    static void resetQuietly(final SocketChannel channel) {
        if (channel != null) {
            try {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (final IOException | RuntimeException ignored) {
                // A socket already closed or shut down: closing below is all that is left.
            }
            closeQuietly(channel);
        }
    }

    /**
     * The one sharding rule: which thread of a stage serves a slot.
     *
     * @param slotIndex the slot.
     * @param threads   the stage's thread count.
     * @return the thread index.
     */
    static int shard(final int slotIndex, final int threads) {
        return slotIndex % threads;
    }

    private static void check(final ConnectionSlot slot, final int from, final int to) {
        if (!ConnectionMoves.isLegal(from, to)) {
            throw new IllegalStateException("slot " + slot.index + ": illegal move " + ConnectionState.name(from)
                + " -> " + ConnectionState.name(to));
        }
    }

    private void handOff(final ConnectionSlot slot, final int half, final int to, final int self) {
        final int owner = ConnectionState.owner(to);
        if (owner == self || owner == ConnectionState.OWNER_NONE) {
            return;
        }
        final StageRing[] rings = owner == ConnectionState.OWNER_PARSE ? parseRings
            : owner == ConnectionState.OWNER_UPSTREAM ? upstreamRings : writeRings;
        offer(rings[shard(slot.index, rings.length)], slot, half, to, true);
    }

    private static void offer(final StageRing ring, final ConnectionSlot slot, final int half, final int to,
        final boolean wake) {
        final int event = ConnectionSlot.event(slot.index, half);
        if ((wake ? ring.offer(event) : ring.offerWithoutWake(event)) != StageRing.OFFERED) {
            // Cannot happen while each half is in at most one ring and rings hold two entries per slot.
            throw new IllegalStateException(ring.name() + " full handing off slot " + slot.index + " in "
                + ConnectionState.name(to));
        }
    }
}
