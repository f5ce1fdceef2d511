package dev.weir.stage;

import java.io.IOException;
import java.nio.channels.SocketChannel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.ring.SlotPool;
import dev.weir.ring.StageRing;

/**
 * What every stage shares: the slot table and the inboxes of every stage thread, with the routing rule
 * (slot index modulo the stage's thread count) in one place.
 * <p>
 * <b>Note:</b> built at startup and never changed; every method is safe from any stage thread.
 */
final class Wiring {

    private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);

    final SlotPool<ConnectionSlot> slots;
    final StageRing[] parseRings;
    final StageRing[] upstreamRings;
    final StageRing[] writeRings;

    Wiring(final SlotPool<ConnectionSlot> slots, final StageRing[] parseRings, final StageRing[] upstreamRings,
        final StageRing[] writeRings) {
        this.slots = slots;
        this.parseRings = parseRings;
        this.upstreamRings = upstreamRings;
        this.writeRings = writeRings;
    }

    void toParse(final ConnectionSlot slot, final int state) {
        slot.state = state;
        offer(parseRings[slot.index % parseRings.length], slot);
    }

    void toUpstream(final ConnectionSlot slot, final int state) {
        slot.state = state;
        offer(upstreamRings[slot.index % upstreamRings.length], slot);
    }

    void toWrite(final ConnectionSlot slot, final int state) {
        slot.state = state;
        offer(writeRings[slot.index % writeRings.length], slot);
    }

    /**
     * Close the client and return the slot; the accept stage releases its blocks when it takes it back.
     *
     * @param slot a slot without an origin connection attached.
     */
    void closeAndRelease(final ConnectionSlot slot) {
        closeQuietly(slot.client);
        slot.state = ConnectionState.FREE;
        if (slots.release(slot.index) != StageRing.OFFERED) {
            LOG.error("slot {} released twice; the second release was refused", slot.index);
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

    private static void offer(final StageRing ring, final ConnectionSlot slot) {
        if (ring.offer(slot.index) != StageRing.OFFERED) {
            // Cannot happen while each slot is in at most one ring; a bug if it does.
            throw new IllegalStateException(ring.name() + " full handing off slot " + slot.index + " in "
                + ConnectionState.name(slot.state));
        }
    }
}
