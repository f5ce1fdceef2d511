package dev.weir.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.weir.arena.Arena;
import dev.weir.config.ConfigKeys;
import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ExchangeFacts;
import dev.weir.conn.ExchangeObserver;

/**
 * The access log: one line per exchange that ends, written by its own thread ({@value #THREAD_NAME}) from a ring
 * that the stage threads feed without ever blocking.
 * <pre>
 *   parse thread ---- head parsed: method, target, version, Referer, User-Agent ----> slot's capture region
 *                                                                                          |
 *   parse / upstream / write thread that ends the exchange:                                 v
 *     observer ---- tryClaim, copy facts + client + capture, commit ----> ManyToOneRingBuffer (log arena)
 *                   (ring full: the record is dropped and counted)               |
 *                                                                                v
 *   weir-access-log thread: read, format into the output buffer (log arena), FileChannel.write (append)
 * </pre>
 * The ring is Agrona's {@link ManyToOneRingBuffer} over memory of the committed {@code log} arena: every stage thread
 * that can end an exchange is one of its producers ({@code tryClaim} and {@code commit}, lock-free, allocation-free);
 * the log thread is its one consumer. Its capacity is {@code access-log.records} records of the largest size, and a
 * record claims only the bytes it uses, so it usually holds many more. The log thread is an Agrona {@link Agent}
 * run by an {@link AgentRunner} with a backoff idle strategy (spin, yield, then park up to 1 ms).
 * <p>
 * Rotation: {@link #requestReopen()} (SIGHUP, the admin listener) makes the log thread write what it holds, open the
 * path again (a new file after a rename) and close the old one.
 * <p>
 * <b>Note:</b> built and started on the startup thread before the stages start; the observers run on their stage
 * threads, the counters may be read from any thread (acquire loads, no allocation), {@link #requestReopen()} may be
 * called from any thread, {@link #close()} after the stages have stopped.
 */
public final class AccessLog implements AutoCloseable {

    /** The log thread's name. */
    public static final String THREAD_NAME = "weir-access-log";
    /** Records the log thread formats per turn before it writes (and checks for a reopen). */
    static final int READ_LIMIT = 256;
    /** Smallest output buffer: a write of 64 KiB is a good size for a file and for a pipe. */
    static final int MIN_OUTPUT_BYTES = 64 * 1024;
    /** Longest the log thread parks when it finds nothing to do. */
    static final long MAX_PARK_NS = 1_000_000;
    /** Longest {@link #close()} waits for the log thread before interrupting it (a write blocked on a pipe). */
    static final int CLOSE_RETRY_MS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);

    private final ManyToOneRingBuffer ring;
    private final RequestCapture capture;
    private final int ringRecords;
    private final List<Producer> producers = new ArrayList<>();
    private final Writer writer;
    private AgentRunner runner;
    private boolean closed;

    AccessLog(final AtomicBuffer ringBuffer, final int ringRecords, final RequestCapture capture,
        final ByteBuffer output, final AccessLogLine line, final int maxLineBytes, final String path)
        throws IOException {
        this.ring = new ManyToOneRingBuffer(ringBuffer);
        this.ringRecords = ringRecords;
        this.capture = capture;
        this.writer = new Writer(ring, output, line, maxLineBytes, path);
    }

    /**
     * Carve the ring, the capture regions and the output buffer from the committed {@code log} arena and open the
     * file; the log thread starts with {@link #start()}.
     *
     * @param config  a configuration with the access log on.
     * @param arena   the {@code log} arena, of {@link #arenaBytes(WeirConfig)} bytes.
     * @param servers the upstream servers' names by index ({@code ExchangeFacts.server}).
     * @return the access log, not yet running.
     * @throws IOException when the file cannot be opened for appending.
     */
    public static AccessLog open(final WeirConfig config, final Arena arena, final String[] servers)
        throws IOException {
        final boolean headers = headers(config);
        final int ringBytes = ringBytes(config);
        final int regionBytes = RequestCapture.regionBytes(config.accessLogMaxTargetBytes(), headers);
        final int capturesBytes = config.connections() * regionBytes;
        final int outputBytes = outputBytes(config);
        final AtomicBuffer ringBuffer = new UnsafeBuffer(arena.view(arena.reserve(ringBytes), ringBytes));
        final MutableDirectBuffer captures = new UnsafeBuffer(arena.view(arena.reserve(capturesBytes),
            capturesBytes));
        final ByteBuffer output = arena.view(arena.reserve(outputBytes), outputBytes);
        return new AccessLog(ringBuffer, config.accessLogRecords(),
            new RequestCapture(captures, config.accessLogMaxTargetBytes(), headers),
            output, new AccessLogLine(AccessLogLine.format(config.accessLogFormat()), servers),
            AccessLogLine.maxLineBytes(config.accessLogMaxTargetBytes()), config.accessLogPath());
    }

    private static boolean headers(final WeirConfig config) {
        return !ConfigKeys.DEFAULT_ACCESS_LOG_FORMAT.equals(config.accessLogFormat());
    }

    /**
     * @param config a configuration with the access log on.
     * @return bytes of the ring: {@code access-log.records} x the largest record's slot, plus Agrona's trailer.
     */
    public static int ringBytes(final WeirConfig config) {
        return config.accessLogRecords() * recordSlotBytes(config) + RingBufferDescriptor.TRAILER_LENGTH;
    }

    /**
     * @param config a configuration with the access log on.
     * @return ring bytes one record may take at most, header included, rounded up to a power of two.
     */
    public static int recordSlotBytes(final WeirConfig config) {
        return AccessRecord.slotBytes(RequestCapture.regionBytes(config.accessLogMaxTargetBytes(), headers(config)));
    }

    /**
     * @param config a configuration with the access log on.
     * @return bytes of one connection slot's capture region.
     */
    public static int captureBytesPerSlot(final WeirConfig config) {
        return RequestCapture.regionBytes(config.accessLogMaxTargetBytes(), headers(config));
    }

    /**
     * @param config a configuration with the access log on.
     * @return bytes of the log thread's output buffer: at least 64 KiB and two of the longest lines.
     */
    public static int outputBytes(final WeirConfig config) {
        final int twoLines = 2 * AccessLogLine.maxLineBytes(config.accessLogMaxTargetBytes());
        return Math.max(MIN_OUTPUT_BYTES, (twoLines + 4095) & ~4095);
    }

    /**
     * @param config a configuration.
     * @return bytes of the {@code log} arena: ring, one capture region per slot and the output buffer; 0 when off.
     */
    public static long arenaBytes(final WeirConfig config) {
        if (!config.accessLogOn()) {
            return 0;
        }
        return (long) ringBytes(config) + (long) config.connections() * captureBytesPerSlot(config)
            + outputBytes(config);
    }

    /** @return what the parse stage fills in for each head. */
    public RequestCapture capture() {
        return capture;
    }

    /**
     * A new producer, for one stage thread; startup only.
     *
     * @return the observer that records each exchange its thread ends.
     */
    public ExchangeObserver observer() {
        final Producer producer = new Producer(ring, capture);
        producers.add(producer);
        return producer;
    }

    /** Start the log thread; once, before {@link #close()}. */
    public void start() {
        start(null);
    }

    /**
     * Start the log thread; once, before {@link #close()}.
     *
     * @param onStart run on the log thread before its first turn (e.g. touch its stack, pin it); {@code null} for
     *                nothing. It must not throw.
     */
    public void start(final Runnable onStart) {
        writer.onStart = onStart;
        runner = new AgentRunner(new BackoffIdleStrategy(10, 5, 1_000, MAX_PARK_NS), this::onError, null, writer);
        AgentRunner.startOnThread(runner);
    }

    private void onError(final Throwable error) {
        LOG.error("access log thread failed", error);
    }

    /** Ask the log thread to write what it holds and open the path again (log rotation); from any thread. */
    public void requestReopen() {
        writer.reopen.set(true);
    }

    /** @return records offered by the stage threads since start: one per exchange that ended. */
    public long records() {
        long total = 0;
        for (int i = 0; i < producers.size(); i++) {
            total += producers.get(i).records();
        }
        return total;
    }

    /** @return records dropped because the ring was full (the log thread fell behind). */
    public long dropped() {
        long total = 0;
        for (int i = 0; i < producers.size(); i++) {
            total += producers.get(i).dropped();
        }
        return total;
    }

    /** @return lines written to the file. */
    public long written() {
        return writer.written();
    }

    /** @return lines lost because a write failed (disk full, a closed pipe). */
    public long lost() {
        return writer.lost();
    }

    /** @return times the file was opened again after {@link #requestReopen()}. */
    public long reopens() {
        return writer.reopens();
    }

    /** @return records the ring holds at least ({@code access-log.records}). */
    public int ringRecords() {
        return ringRecords;
    }

    /** @return bytes of the ring for records, trailer excluded. */
    public int ringCapacityBytes() {
        return ring.capacity();
    }

    /** @return the largest record, bytes, the ring's record header excluded. */
    public int maxRecordBytes() {
        return ring.maxMsgLength();
    }

    /** Stop the log thread after it has written every record in the ring; then close the file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (runner != null) {
            awaitWritten();
            // A write blocked on a pipe nobody reads is interrupted after CLOSE_RETRY_MS; its lines are lost.
            runner.close(CLOSE_RETRY_MS, thread -> { });
            runner = null;
        } else {
            writer.onClose();
        }
    }

    /**
     * Let the running log thread write what the ring holds (the stages have stopped, so nothing more comes) for
     * as long as it makes progress: a large ring on a slow disk is written whole, and only a write that makes
     * none for {@link #CLOSE_RETRY_MS} is interrupted by the close.
     */
    private void awaitWritten() {
        long done = -1;
        while (written() + lost() < records() - dropped() && written() + lost() != done) {
            done = written() + lost();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(CLOSE_RETRY_MS));
        }
    }


    /**
     * The observer of one stage thread: copies the exchange's facts, the client address and the capture into a
     * record claimed in the ring; one per producer thread, so its counters have one writer.
     */
    static final class Producer implements ExchangeObserver {
        /**
         * The two counters sit in the middle of their own array, a cache line of padding either side, so the stage
         * threads that each write their own never share a line (Disruptor's {@code Sequence} pads the same way).
         */
        private static final VarHandle COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);
        private static final int RECORDS = 8;
        private static final int DROPPED = 9;
        private static final int COUNTER_SLOTS = 18;

        private final RingBuffer ring;
        private final AtomicBuffer buffer;
        private final RequestCapture capture;
        private final long[] counters = new long[COUNTER_SLOTS];

        Producer(final RingBuffer ring, final RequestCapture capture) {
            this.ring = ring;
            this.buffer = ring.buffer();
            this.capture = capture;
        }

        @Override
        public void onExchangeEnd(final ConnectionSlot slot) {
            final ExchangeFacts facts = slot.facts;
            final int clientLength = slot.clientAddressLength;
            final int captureLength = capture.length(slot.index);
            COUNTERS.setRelease(counters, RECORDS, counters[RECORDS] + 1);
            final int at = ring.tryClaim(AccessRecord.MSG_TYPE_ID,
                AccessRecord.CLIENT_OFFSET + clientLength + captureLength);
            if (at < 0) {
                COUNTERS.setRelease(counters, DROPPED, counters[DROPPED] + 1);
                return;
            }
            try {
                final long start = facts.startNanos;
                buffer.putLong(at + AccessRecord.START_EPOCH_MS_OFFSET,
                    facts.startEpochMillis != 0 ? facts.startEpochMillis : System.currentTimeMillis());
                buffer.putLong(at + AccessRecord.TOTAL_NS_OFFSET, start == 0 ? 0 : System.nanoTime() - start);
                buffer.putLong(at + AccessRecord.HEAD_NS_OFFSET,
                    start == 0 || facts.responseHeadNanos == 0 ? -1 : facts.responseHeadNanos - start);
                buffer.putLong(at + AccessRecord.BYTES_SENT_OFFSET, facts.bytesSent);
                buffer.putInt(at + AccessRecord.STATUS_OFFSET, facts.statusSent());
                buffer.putInt(at + AccessRecord.SERVER_OFFSET, facts.server);
                buffer.putInt(at + AccessRecord.FLAGS_OFFSET,
                    slot.closeMode() == ConnectionSlot.CLOSE_RESET ? AccessRecord.FLAG_RESET : 0);
                buffer.putInt(at + AccessRecord.CLIENT_LENGTH_OFFSET, clientLength);
                buffer.putBytes(at + AccessRecord.CLIENT_OFFSET, slot.clientAddress, 0, clientLength);
                buffer.putBytes(at + AccessRecord.CLIENT_OFFSET + clientLength, capture.regions(),
                    capture.offset(slot.index), captureLength);
            } catch (final RuntimeException e) {
                ring.abort(at);
                throw e;
            }
            ring.commit(at);
        }

        long records() {
            return (long) COUNTERS.getAcquire(counters, RECORDS);
        }

        long dropped() {
            return (long) COUNTERS.getAcquire(counters, DROPPED);
        }
    }

    /**
     * The log thread's agent: reads records, formats them into the output buffer and appends it to the file when
     * full or when the ring is empty.
     */
    static final class Writer implements Agent, MessageHandler {
        private static final VarHandle WRITTEN;
        private static final VarHandle LOST;
        private static final VarHandle REOPENS;
        /** Write errors logged in full; after them one in {@value} is. */
        private static final long ERROR_LOG_EVERY = 1024;

        static {
            try {
                final MethodHandles.Lookup lookup = MethodHandles.lookup();
                WRITTEN = lookup.findVarHandle(Writer.class, "written", long.class);
                LOST = lookup.findVarHandle(Writer.class, "lost", long.class);
                REOPENS = lookup.findVarHandle(Writer.class, "reopens", long.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final AtomicBoolean reopen = new AtomicBoolean();
        /** Set before the thread starts, run on it first. */
        Runnable onStart;
        private final RingBuffer ring;
        private final ByteBuffer view;
        private final UnsafeBuffer out;
        private final AccessLogLine line;
        private final int maxLineBytes;
        private final String path;
        private final boolean stdout;
        /** Kept so that standard output's descriptor is never closed by a collected stream. */
        private final FileOutputStream stdoutStream;
        private FileChannel channel;
        private int position;
        private int pendingLines;
        private long writeErrors;
        @SuppressWarnings("unused")
        private long written;
        @SuppressWarnings("unused")
        private long lost;
        @SuppressWarnings("unused")
        private long reopens;

        Writer(final RingBuffer ring, final ByteBuffer output, final AccessLogLine line, final int maxLineBytes,
            final String path) throws IOException {
            this.ring = ring;
            this.view = output;
            this.out = new UnsafeBuffer(output);
            this.line = line;
            this.maxLineBytes = maxLineBytes;
            this.path = path;
            this.stdout = ConfigKeys.ACCESS_LOG_STDOUT.equals(path);
            this.stdoutStream = stdout ? new FileOutputStream(FileDescriptor.out) : null;
            this.channel = stdout ? stdoutStream.getChannel() : open(path);
            if (output.capacity() < 2 * maxLineBytes) {
                throw new IllegalArgumentException("output buffer of " + output.capacity() + " bytes cannot hold two"
                    + " lines of " + maxLineBytes);
            }
        }

        private static FileChannel open(final String path) throws IOException {
            return FileChannel.open(Paths.get(path), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        }

        @Override
        public String roleName() {
            return THREAD_NAME;
        }

        @Override
        public void onStart() {
            if (onStart != null) {
                onStart.run();
            }
        }

        @Override
        public int doWork() {
            int work = 0;
            if (reopen.get()) {
                reopen.set(false);
                flush();
                reopen();
                work++;
            }
            final int read = ring.read(this, READ_LIMIT);
            if (position > 0 && read < READ_LIMIT) {
                flush();
            }
            return work + read;
        }

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index,
            final int length) {
            if (out.capacity() - position < maxLineBytes) {
                flush();
            }
            position = line.format(buffer, index, out, position);
            pendingLines++;
        }

        /** Append the formatted lines; a failed write loses them (counted), never the thread. */
        private void flush() {
            if (position == 0) {
                return;
            }
            view.limit(position).position(0);
            try {
                while (view.hasRemaining()) {
                    channel.write(view);
                }
                WRITTEN.setRelease(this, written + pendingLines);
            } catch (final IOException e) {
                LOST.setRelease(this, lost + pendingLines);
                if (writeErrors++ % ERROR_LOG_EVERY == 0) {
                    LOG.warn("access log: {} lines lost, cannot write {}: {} (failed writes so far: {})", pendingLines,
                        path, e.toString(), writeErrors);
                }
            } finally {
                view.clear();
                position = 0;
                pendingLines = 0;
            }
        }

        private void reopen() {
            if (stdout) {
                return;
            }
            final FileChannel next;
            try {
                next = open(path);
            } catch (final IOException e) {
                LOG.warn("access log: cannot reopen {}, still writing to the file open before: {}", path,
                    e.toString());
                return;
            }
            final FileChannel previous = channel;
            channel = next;
            closeQuietly(previous);
            REOPENS.setRelease(this, reopens + 1);
        }

        @Override
        public void onClose() {
            while (ring.read(this, READ_LIMIT) > 0) {
                flush();
            }
            flush();
            if (!stdout) {
                closeQuietly(channel);
            }
        }

        private static void closeQuietly(final FileChannel channel) {
            try {
                channel.close();
            } catch (final IOException e) {
                LOG.warn("access log: closing the previous file failed: {}", e.toString());
            }
        }

        long written() {
            return (long) WRITTEN.getAcquire(this);
        }

        long lost() {
            return (long) LOST.getAcquire(this);
        }

        long reopens() {
            return (long) REOPENS.getAcquire(this);
        }
    }
}
