package dev.weir.log;

import org.agrona.BitUtil;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;

import dev.weir.conn.ConnectionSlot;

/**
 * The layout of one access log record in the ring: what an exchange left behind, written by the stage thread that
 * finished it and read by the log thread.
 * <pre>
 *   0                8                16               24               32       36       40       44       48
 *   +----------------+----------------+----------------+----------------+--------+--------+--------+--------+
 *   | start epoch ms | total ns       | head ns, or -1 | bytes sent     | status | server | flags  | client |
 *   |                | first byte to  | first byte to  | to the client, |        | index  |        | length |
 *   |                | exchange end   | response head  | heads included |        | or -1  |        |        |
 *   +----------------+----------------+----------------+----------------+--------+--------+--------+--------+
 *   48: client address (ASCII), then the slot's {@link RequestCapture} region, header included, as much as used
 * </pre>
 * Each record sits behind Agrona's 8-byte record header ({@link RecordDescriptor}) and is aligned to 8 bytes.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
final class AccessRecord {

    /** The record's message type in the ring. */
    static final int MSG_TYPE_ID = 1;

    static final int START_EPOCH_MS_OFFSET = 0;
    static final int TOTAL_NS_OFFSET = 8;
    static final int HEAD_NS_OFFSET = 16;
    static final int BYTES_SENT_OFFSET = 24;
    static final int STATUS_OFFSET = 32;
    static final int SERVER_OFFSET = 36;
    static final int FLAGS_OFFSET = 40;
    static final int CLIENT_LENGTH_OFFSET = 44;
    static final int CLIENT_OFFSET = 48;

    /** Flag: the connection was reset, so the response was cut short ({@code ConnectionSlot.CLOSE_RESET}). */
    static final int FLAG_RESET = 1;

    private AccessRecord() {
    }

    /**
     * @param captureRegionBytes {@link RequestCapture#regionBytes(int, boolean)}.
     * @return the longest record, without the ring's record header.
     */
    static int maxLength(final int captureRegionBytes) {
        return CLIENT_OFFSET + ConnectionSlot.MAX_ADDRESS_LENGTH + captureRegionBytes;
    }

    /**
     * @param captureRegionBytes {@link RequestCapture#regionBytes(int, boolean)}.
     * @return ring bytes per record at most: the record and its header, rounded up to a power of two so that a ring
     *         of a power of two of them is a power of two of bytes, as Agrona's ring requires.
     */
    static int slotBytes(final int captureRegionBytes) {
        return BitUtil.findNextPositivePowerOfTwo(
            BitUtil.align(RecordDescriptor.HEADER_LENGTH + maxLength(captureRegionBytes), RecordDescriptor.ALIGNMENT));
    }
}
