package dev.weir.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import dev.weir.arena.Arena;
import dev.weir.conn.ConnectionSlot;
import dev.weir.http.ParseStatus;
import dev.weir.http.RequestHeadParser;

/**
 * A slot whose head is parsed from real bytes in a committed block, a capture and a ring on the heap: the producer
 * and formatter exactly as the pipeline runs them, driven by hand from a test.
 */
final class AccessLogFixture implements AutoCloseable {

    static final int BLOCK_BYTES = 4096;
    static final long START_MS = Instant.parse("2026-11-30T18:16:40.123Z").toEpochMilli();

    final Arena arena = Arena.commit("test-parse", BLOCK_BYTES, false);
    final ConnectionSlot slot = new ConnectionSlot(0);
    final RequestCapture capture;
    final int maxTargetBytes;
    private final RequestHeadParser parser = new RequestHeadParser();

    AccessLogFixture(final int maxTargetBytes, final boolean headers) {
        this.maxTargetBytes = maxTargetBytes;
        this.capture = RequestCapture.onHeap(1, maxTargetBytes, headers);
        slot.request.buffer = arena.view(0, BLOCK_BYTES);
        slot.request.base = 0;
        final byte[] client = "10.0.0.1".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(client, 0, slot.clientAddress, 0, client.length);
        slot.clientAddressLength = client.length;
    }

    /**
     * Receive and parse a head (ISO-8859-1 text, one byte a char) and capture it as the parse stage does.
     *
     * @return the parse status.
     */
    int receive(final String head) {
        final byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        arena.store().write(0, bytes);
        slot.beginExchange();
        slot.request.filled = bytes.length;
        final int status = parser.parse(arena.store(), 0, bytes.length, BLOCK_BYTES, slot.request.head);
        capture.onHead(slot, bytes.length, status == ParseStatus.COMPLETE);
        return status;
    }

    /** Fill in the facts of an exchange that started at {@link #START_MS} and took 1.234 ms, head at 1 ms. */
    void answered(final int status, final long bytes, final int server) {
        slot.facts.startEpochMillis = START_MS;
        slot.facts.startNanos = System.nanoTime() - 1_234_000;
        slot.facts.responseHeadNanos = slot.facts.startNanos + 1_000_000;
        slot.facts.status = status;
        slot.facts.bytesSent = bytes;
        slot.facts.server = server;
    }

    /** @return a ring of {@code records} of this capture's largest record, on the heap. */
    ManyToOneRingBuffer ring(final int records) {
        final int slotBytes = AccessRecord.slotBytes(capture.regionBytes());
        return new ManyToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            records * slotBytes + RingBufferDescriptor.TRAILER_LENGTH, 64)));
    }

    /** @return the line the slot's exchange formats to, through a producer, a ring and the formatter. */
    String line(final String format) {
        final ManyToOneRingBuffer ring = ring(16);
        new AccessLog.Producer(ring, capture).onExchangeEnd(slot);
        final AccessLogLine formatter = new AccessLogLine(AccessLogLine.format(format),
            new String[] {"127.0.0.1:9000"});
        final UnsafeBuffer out = new UnsafeBuffer(
            ByteBuffer.allocateDirect(AccessLogLine.maxLineBytes(maxTargetBytes)));
        final int[] end = {-1};
        final int read = ring.read((type, buffer, index, length) -> end[0] = formatter.format(buffer, index, out, 0));
        if (read != 1) {
            throw new AssertionError("records read: " + read);
        }
        return out.getStringWithoutLengthAscii(0, end[0]);
    }

    /** @return an access log to a file, over heap buffers, with a ring of {@code records}; not started. */
    AccessLog log(final int records, final String format, final String path) throws IOException {
        final ByteBuffer output = ByteBuffer.allocateDirect(64 * 1024);
        return new AccessLog(ring(records).buffer(), records, capture, output,
            new AccessLogLine(AccessLogLine.format(format), new String[] {"127.0.0.1:9000"}),
            AccessLogLine.maxLineBytes(maxTargetBytes), path);
    }

    @Override
    public void close() {
        arena.close();
    }
}
