package dev.weir.bench.load;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.http.ChunkedDecoder;
import dev.weir.bench.http.HttpHead;
import dev.weir.bench.http.HttpScan;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One keep-alive client connection of the load generator: send one request, read and check one response.
 * <pre>
 *   CONNECTING --&gt; SENDING --&gt; RECEIVING_HEAD --&gt; RECEIVING_BODY --&gt; SENDING | WAITING (rate) | IDLE (done)
 *        ^                                                  |error
 *        +------------------- WAITING (back-off) &lt;----------+
 * </pre>
 * <p>
 * <b>Note:</b> confined to its {@link LoadThread}.
 */
final class ClientConnection {

    static final int CONNECTING = 0;
    static final int SENDING = 1;
    static final int RECEIVING_HEAD = 2;
    static final int RECEIVING_BODY = 3;
    static final int WAITING = 4;
    static final int IDLE = 5;

    static final int DEFAULT_BUFFER_BYTES = 64 * 1024;

    private final LoadThread thread;
    private final ByteBuffer request;
    private final boolean headRequest;
    private final byte[] in = new byte[DEFAULT_BUFFER_BYTES];
    private final ByteBuffer inBuffer = ByteBuffer.wrap(in);
    private final HttpHead head = new HttpHead();
    private final ChunkedDecoder decoder = new ChunkedDecoder();

    int index;
    SocketChannel channel;
    SelectionKey key;
    int state = WAITING;
    boolean connected;
    long startNs;
    long intendedNs;
    long wakeNs;
    private int inStart;
    private int inEnd;
    private long bodyRemaining;
    private long bodyReceived;
    private boolean chunked;

    ClientConnection(final LoadThread thread, final byte[] requestBytes, final boolean headRequest) {
        this.thread = thread;
        this.request = ByteBuffer.wrap(requestBytes);
        this.headRequest = headRequest;
    }

    /** Opens the connection, or fails and leaves the state to the thread's error handling. */
    void connect() throws IOException {
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
        connected = channel.connect(thread.address);
        key = channel.register(thread.selector, connected ? 0 : SelectionKey.OP_CONNECT, this);
        state = CONNECTING;
        inStart = 0;
        inEnd = 0;
    }

    boolean finishConnect() throws IOException {
        connected = channel.finishConnect();
        return connected;
    }

    /** Starts a request now; {@code intended} is when it should have started (fixed-rate) or now. */
    void send(final long now, final long intended) throws IOException {
        startNs = now;
        intendedNs = intended;
        request.rewind();
        state = SENDING;
        onWritable();
    }

    void onWritable() throws IOException {
        channel.write(request);
        if (request.hasRemaining()) {
            key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        state = RECEIVING_HEAD;
        key.interestOps(SelectionKey.OP_READ);
    }

    /**
     * Reads what is available and advances the response.
     *
     * @return a {@code LoadThread.RESULT_*} code.
     */
    int onReadable() throws IOException {
        if (inStart == inEnd) {
            inStart = 0;
            inEnd = 0;
        } else if (inEnd == in.length) {
            System.arraycopy(in, inStart, in, 0, inEnd - inStart);
            inEnd -= inStart;
            inStart = 0;
        }
        inBuffer.limit(in.length).position(inEnd);
        final int n = channel.read(inBuffer);
        if (n < 0) {
            return LoadThread.RESULT_IO_ERROR;
        }
        inEnd += n;
        return advance();
    }

    private int advance() {
        if (state == RECEIVING_HEAD) {
            final int bodyStart = HttpScan.parseResponse(in, inStart, inEnd, head);
            if (bodyStart == HttpScan.NEED_MORE) {
                return inEnd - inStart == in.length ? LoadThread.RESULT_STATUS_ERROR : LoadThread.RESULT_PENDING;
            }
            if (bodyStart == HttpScan.BAD || head.status() != thread.options.expectStatus()) {
                return LoadThread.RESULT_STATUS_ERROR;
            }
            inStart = bodyStart;
            bodyReceived = 0;
            chunked = !headRequest && head.chunked();
            bodyRemaining = headRequest || head.status() == 204 || head.status() == 304 ? 0 : head.contentLength();
            if (chunked) {
                decoder.reset();
            } else if (bodyRemaining < 0) {
                // Read-until-close bodies cannot be timed per request on a keep-alive connection.
                return LoadThread.RESULT_BODY_ERROR;
            }
            state = RECEIVING_BODY;
        }
        return chunked ? advanceChunked() : advanceLength();
    }

    private int advanceLength() {
        final int n = (int) Math.min(inEnd - inStart, bodyRemaining);
        if (n > 0 && !check(inStart, n)) {
            return LoadThread.RESULT_BODY_ERROR;
        }
        inStart += n;
        bodyRemaining -= n;
        return bodyRemaining == 0 ? complete() : LoadThread.RESULT_PENDING;
    }

    private int advanceChunked() {
        while (inStart < inEnd && !decoder.isDone()) {
            final int consumed = decoder.decode(in, inStart, inEnd, Integer.MAX_VALUE);
            if (decoder.isError()) {
                return LoadThread.RESULT_BODY_ERROR;
            }
            if (decoder.dataLength() > 0 && !check(decoder.dataStart(), decoder.dataLength())) {
                return LoadThread.RESULT_BODY_ERROR;
            }
            inStart += consumed;
        }
        return decoder.isDone() ? complete() : LoadThread.RESULT_PENDING;
    }

    private boolean check(final int start, final int length) {
        final boolean ok = !thread.options.verifyPattern()
            || BodyPattern.mismatch(in, start, length, bodyReceived) < 0;
        bodyReceived += length;
        return ok;
    }

    private int complete() {
        final long expected = thread.options.expectBodyBytes();
        if (expected >= 0 && !headRequest && bodyReceived != expected) {
            return LoadThread.RESULT_BODY_ERROR;
        }
        return head.keepAlive() ? LoadThread.RESULT_DONE : LoadThread.RESULT_DONE_CLOSE;
    }

    long bodyReceived() {
        return bodyReceived;
    }

    boolean inFlight() {
        return state == SENDING || state == RECEIVING_HEAD || state == RECEIVING_BODY || state == CONNECTING;
    }

    void close() {
        if (key != null) {
            key.cancel();
            key = null;
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (final IOException e) {
                // Already failing; the channel is gone either way.
            }
            channel = null;
        }
        connected = false;
    }
}
