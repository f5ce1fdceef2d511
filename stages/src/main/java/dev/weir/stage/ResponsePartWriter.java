package dev.weir.stage;

import java.io.IOException;
import java.nio.ByteBuffer;

import dev.weir.conn.ConnectionSlot;

/**
 * Writes a relayed part of a response to its client: the one place both the write stage and the upstream stage
 * (write-through) send one. Never blocks: the client's socket is non-blocking, so a client that reads slowly
 * leaves the rest of the part in the buffer for the write stage to wait on.
 * <p>
 * <b>Note:</b> stateless; called by the stage that owns the slot's response half at that moment, which is the one
 * writer of {@code ExchangeFacts.bytesSent}.
 */
final class ResponsePartWriter {

    /** The whole part went out. */
    static final int WRITTEN = 0;
    /** The client took some of the part, or none: the rest waits in the buffer (its position says where). */
    static final int PENDING = 1;
    /** The client's socket failed (reset, closed). */
    static final int FAILED = 2;

    private ResponsePartWriter() {
    }

    /**
     * Write what remains of the response half's part (its buffer, position to limit) and count the bytes sent.
     *
     * @param slot a slot whose response half the caller owns, with the part in {@code response.buffer}.
     * @return {@link #WRITTEN}, {@link #PENDING} or {@link #FAILED}.
     */
    static int write(final ConnectionSlot slot) {
        final ByteBuffer buffer = slot.response.buffer;
        try {
            slot.facts.bytesSent += slot.client.write(buffer);
        } catch (final IOException ex) {
            return FAILED;
        }
        return buffer.hasRemaining() ? PENDING : WRITTEN;
    }
}
