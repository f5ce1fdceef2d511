package dev.weir.bench.origin;

/**
 * The head of one WebSocket frame (RFC 6455 section 5.2), read in place from a client and written to it.
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 *   | Masking-key (continued)       |          Payload Data         |
 *   +-------------------------------- - - - - - - - - - - - - - - - +
 * </pre>
 * A client frame is 2 to {@link #MAX_HEAD_BYTES} bytes of head, then the payload XOR the 4-byte mask (byte
 * {@code i} with mask byte {@code i % 4}). A server frame is never masked, so its head is at most 10 bytes.
 * <p>
 * <b>Note:</b> confined to its connection's worker thread; {@link #parse} overwrites it for every frame.
 */
final class WebSocketFrame {

    /** {@link #parse} found no whole frame head yet. */
    static final int NEED_MORE = -1;
    /** {@link #parse} found a frame head the protocol forbids (the connection must fail with 1002). */
    static final int PROTOCOL_ERROR = -2;

    /** The longest client frame head: 2 bytes, 8 bytes of 64-bit length, 4 bytes of mask. */
    static final int MAX_HEAD_BYTES = 14;
    /** The longest payload of a control frame (close, ping, pong). */
    static final int MAX_CONTROL_PAYLOAD_BYTES = 125;

    static final int OPCODE_CONTINUATION = 0x0;
    static final int OPCODE_TEXT = 0x1;
    static final int OPCODE_BINARY = 0x2;
    static final int OPCODE_CLOSE = 0x8;
    static final int OPCODE_PING = 0x9;
    static final int OPCODE_PONG = 0xA;

    /** Close status: the peer broke the protocol. */
    static final int STATUS_PROTOCOL_ERROR = 1002;

    private static final int FIN = 0x80;
    private static final int RSV = 0x70;
    private static final int OPCODE = 0x0F;
    private static final int MASK = 0x80;
    private static final int LENGTH7 = 0x7F;
    private static final int LENGTH_16_BIT = 126;
    private static final int LENGTH_64_BIT = 127;
    private static final int CONTROL = 0x8;

    private boolean fin;
    private int opcode;
    private long payloadLength;
    private final byte[] mask = new byte[4];

    /**
     * Reads a client frame head.
     *
     * @param buf   bytes.
     * @param start index of the head's first byte.
     * @param end   index after the last buffered byte.
     * @return the head's length in bytes, {@link #NEED_MORE} or {@link #PROTOCOL_ERROR} (unmasked, reserved bits
     *     or opcode, a fragmented or over-long control frame, a close payload of 1 byte, a length of 2^63 or more).
     */
    int parse(final byte[] buf, final int start, final int end) {
        if (end - start < 2) {
            return NEED_MORE;
        }
        final int b0 = buf[start] & 0xFF;
        final int b1 = buf[start + 1] & 0xFF;
        fin = (b0 & FIN) != 0;
        opcode = b0 & OPCODE;
        final int length7 = b1 & LENGTH7;
        // Judged on the first two bytes: an unmasked frame's head is shorter than a masked one's.
        if ((b0 & RSV) != 0 || (b1 & MASK) == 0 || !knownOpcode(opcode)) {
            return PROTOCOL_ERROR;
        }
        final boolean badControl = !fin || length7 > MAX_CONTROL_PAYLOAD_BYTES
            || opcode == OPCODE_CLOSE && length7 == 1;
        if (isControl(opcode) && badControl) {
            return PROTOCOL_ERROR;
        }
        final int lengthBytes = length7 == LENGTH_64_BIT ? 8 : length7 == LENGTH_16_BIT ? 2 : 0;
        final int headBytes = 2 + lengthBytes + 4;
        if (end - start < headBytes) {
            return NEED_MORE;
        }
        long length = length7;
        if (lengthBytes > 0) {
            length = 0;
            for (int i = 0; i < lengthBytes; i++) {
                length = length << 8 | buf[start + 2 + i] & 0xFF;
            }
            if (length < 0) {
                return PROTOCOL_ERROR;
            }
        }
        payloadLength = length;
        System.arraycopy(buf, start + 2 + lengthBytes, mask, 0, 4);
        return headBytes;
    }

    /** @return whether the frame ends its message. */
    boolean fin() {
        return fin;
    }

    /** @return the frame's {@code OPCODE_*}. */
    int opcode() {
        return opcode;
    }

    /** @return the payload's length in bytes. */
    long payloadLength() {
        return payloadLength;
    }

    /**
     * Copies payload bytes and removes the mask.
     *
     * @param src           masked bytes.
     * @param srcAt         index of the first one.
     * @param dst           destination.
     * @param dstAt         first index written.
     * @param length        bytes to copy.
     * @param payloadOffset offset within the payload of {@code src[srcAt]} (picks the mask byte).
     */
    void unmask(final byte[] src, final int srcAt, final byte[] dst, final int dstAt, final int length,
        final long payloadOffset) {
        final int phase = (int) (payloadOffset & 3);
        for (int i = 0; i < length; i++) {
            dst[dstAt + i] = (byte) (src[srcAt + i] ^ mask[(phase + i) & 3]);
        }
    }

    /**
     * Writes an unmasked server frame head with the shortest length encoding.
     *
     * @param fin           whether the frame ends its message.
     * @param opcode        an {@code OPCODE_*}.
     * @param payloadLength payload bytes that follow.
     * @param dst           destination, with at least {@link #MAX_HEAD_BYTES} of room.
     * @param at            first index written.
     * @return the index after the head.
     */
    static int putHead(final boolean fin, final int opcode, final long payloadLength, final byte[] dst, final int at) {
        dst[at] = (byte) ((fin ? FIN : 0) | opcode);
        if (payloadLength < LENGTH_16_BIT) {
            dst[at + 1] = (byte) payloadLength;
            return at + 2;
        }
        final int lengthBytes = payloadLength <= 0xFFFF ? 2 : 8;
        dst[at + 1] = (byte) (lengthBytes == 2 ? LENGTH_16_BIT : LENGTH_64_BIT);
        for (int i = 0; i < lengthBytes; i++) {
            dst[at + 2 + i] = (byte) (payloadLength >>> 8 * (lengthBytes - 1 - i));
        }
        return at + 2 + lengthBytes;
    }

    /**
     * Writes a whole close frame carrying only a status code.
     *
     * @param status close status, e.g. {@link #STATUS_PROTOCOL_ERROR}.
     * @param dst    destination, with at least 4 bytes of room.
     * @param at     first index written.
     * @return the index after the frame.
     */
    static int putClose(final int status, final byte[] dst, final int at) {
        final int p = putHead(true, OPCODE_CLOSE, 2, dst, at);
        dst[p] = (byte) (status >>> 8);
        dst[p + 1] = (byte) status;
        return p + 2;
    }

    /**
     * @param opcode an opcode.
     * @return whether it is a control frame's (close, ping, pong).
     */
    static boolean isControl(final int opcode) {
        return (opcode & CONTROL) != 0;
    }

    private static boolean knownOpcode(final int opcode) {
        return opcode <= OPCODE_BINARY || opcode >= OPCODE_CLOSE && opcode <= OPCODE_PONG;
    }
}
