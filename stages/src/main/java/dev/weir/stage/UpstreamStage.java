package dev.weir.stage;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

import net.openhft.chronicle.bytes.BytesStore;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.http.ChunkedScanner;
import dev.weir.http.HeaderRewriter;
import dev.weir.http.ParseStatus;
import dev.weir.http.RequestHead;
import dev.weir.http.ResponseHead;
import dev.weir.http.ResponseHeadParser;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;
import dev.weir.upstream.UpstreamConnection;
import dev.weir.upstream.UpstreamPool;

/**
 * Talks to the origin: takes a keep-alive connection from its pool, sends the rewritten request head and the
 * request body parts, and reads the response into the slot's upstream block, one block at a time, handing
 * each to the write stage. A block is refilled only after the write stage has drained it, which is the
 * backpressure that keeps memory fixed however slow the client.
 * <p>
 * <b>Note:</b> one thread per instance, owning its own pool of origin connections; a slot is served by
 * instance {@code index % upstreamThreads}.
 */
final class UpstreamStage extends SelectorStage {

    private final Wiring wiring;
    private final UpstreamPool pool;
    private final InetSocketAddress origin;
    private final BytesStore<?, ?> parseStore;
    private final BytesStore<?, ?> upstreamStore;
    private final int responseBlockLength;
    private final int receiveBufferBytes;
    private final int sendBufferBytes;
    private final HeaderRewriter rewriter = new HeaderRewriter();
    private final ResponseHeadParser responseParser = new ResponseHeadParser();
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private final ByteBuffer idleScratch;

    UpstreamStage(final int id, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final Wiring wiring, final UpstreamPool pool, final InetSocketAddress origin,
        final BytesStore<?, ?> parseStore, final BytesStore<?, ?> upstreamStore, final int responseBlockLength,
        final int receiveBufferBytes, final int sendBufferBytes, final ByteBuffer idleScratch) {
        super("weir-upstream-" + id, selector, wake, inbox);
        this.wiring = wiring;
        this.pool = pool;
        this.origin = origin;
        this.parseStore = parseStore;
        this.upstreamStore = upstreamStore;
        this.responseBlockLength = responseBlockLength;
        this.receiveBufferBytes = receiveBufferBytes;
        this.sendBufferBytes = sendBufferBytes;
        this.idleScratch = idleScratch;
    }

    /** @return the pool of origin connections this stage owns. */
    UpstreamPool pool() {
        return pool;
    }

    @Override
    void onSlot(final int index) throws IOException {
        final ConnectionSlot slot = wiring.slots.slot(index);
        switch (slot.state) {
            case ConnectionState.FORWARDING_HEAD:
                final UpstreamConnection connection = pool.tryAcquire();
                if (connection == null) {
                    pool.enqueue(index);
                } else {
                    startForwarding(slot, connection);
                }
                break;
            case ConnectionState.FORWARDING_BODY:
                frameRequestBody(slot, 0);
                if (slot.state == ConnectionState.FORWARDING_BODY) {
                    writeRequest(slot);
                }
                break;
            case ConnectionState.READING_RESPONSE:
                slot.responseFilled = 0;
                readResponse(slot);
                break;
            case ConnectionState.ABORTING:
                abort(slot);
                break;
            default:
                throw unexpectedState(slot);
        }
    }

    @Override
    int onReady(final SelectionKey key) throws IOException {
        final UpstreamConnection connection = (UpstreamConnection) key.attachment();
        if (key.channel() != connection.channel) {
            key.cancel();
            return -1;
        }
        switch (connection.state) {
            case UpstreamConnection.CONNECTING:
                onConnectable(connection);
                return connection.slot;
            case UpstreamConnection.IDLE:
                onIdleReadable(connection);
                return -1;
            case UpstreamConnection.BUSY:
                final ConnectionSlot slot = wiring.slots.slot(connection.slot);
                if (slot.state == ConnectionState.FORWARDING_HEAD || slot.state == ConnectionState.FORWARDING_BODY) {
                    writeRequest(slot);
                } else if (slot.state == ConnectionState.READING_RESPONSE) {
                    readResponse(slot);
                } else {
                    key.interestOps(0);
                }
                return slot.index;
            default:
                key.interestOps(0);
                return -1;
        }
    }

    private void startForwarding(final ConnectionSlot slot, final UpstreamConnection connection) throws IOException {
        slot.upstream = connection;
        connection.slot = slot.index;
        counters.requests++;
        final RequestHead request = slot.request;
        final int headLength = rewriter.rewrite(parseStore, slot.requestBase, request, upstreamStore,
            slot.responseBase, responseBlockLength, slot.clientAddress, slot.clientAddressLength);
        if (headLength == HeaderRewriter.TOO_LARGE) {
            releaseConnection(slot, connection.state == UpstreamConnection.IDLE);
            answer(slot, 431);
            return;
        }
        slot.responseBuffer.limit(headLength).position(0);
        slot.requestBodyRemaining = request.contentLength() > 0 ? request.contentLength() : 0;
        slot.requestChunks.reset();
        frameRequestBody(slot, request.headLength());
        if (slot.state == ConnectionState.WRITING_CANNED) {
            return;
        }
        slot.requestReplayable = slot.requestComplete;
        if (connection.state == UpstreamConnection.IDLE) {
            connection.state = UpstreamConnection.BUSY;
            connection.requestsOnSocket++;
            writeRequest(slot);
        } else {
            connect(slot, connection);
        }
    }

    /**
     * Decide which bytes of the parse block from {@code from} are request body, and point the block's view at
     * them; bytes after the body are the next pipelined request.
     */
    private void frameRequestBody(final ConnectionSlot slot, final int from) {
        final int to = slot.requestFilled;
        int bodyEnd = from;
        if (slot.request.isChunked()) {
            final ChunkedScanner chunks = slot.requestChunks;
            final int result = chunks.scan(parseStore, slot.requestBase + from, to - from);
            if (result == ChunkedScanner.MALFORMED) {
                if (slot.upstream != null) {
                    discardConnection(slot);
                }
                answer(slot, 400);
                return;
            }
            bodyEnd = result == ChunkedScanner.DONE ? from + chunks.consumed() : to;
            slot.requestComplete = result == ChunkedScanner.DONE;
        } else if (slot.requestBodyRemaining > 0) {
            final long take = Math.min(slot.requestBodyRemaining, to - from);
            bodyEnd = from + (int) take;
            slot.requestBodyRemaining -= take;
            slot.requestComplete = slot.requestBodyRemaining == 0;
        } else {
            slot.requestComplete = true;
        }
        slot.leftoverStart = bodyEnd;
        slot.requestBuffer.limit(bodyEnd).position(from);
    }

    private void connect(final ConnectionSlot slot, final UpstreamConnection connection) {
        try {
            // Allocates: a SocketChannel per origin (re)connection; the pool keeps connections open to avoid it.
            final SocketChannel channel = SocketChannel.open();
            connection.channel = channel;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
            connection.requestsOnSocket = 0;
            connection.key = channel.register(selector, 0, connection);
            if (channel.connect(origin)) {
                connection.state = UpstreamConnection.BUSY;
                connection.requestsOnSocket = 1;
                writeRequest(slot);
            } else {
                connection.state = UpstreamConnection.CONNECTING;
                connection.key.interestOps(SelectionKey.OP_CONNECT);
            }
        } catch (final IOException ex) {
            counters.errors++;
            discardConnection(slot);
            answer(slot, 502);
        }
    }

    private void onConnectable(final UpstreamConnection connection) {
        final ConnectionSlot slot = wiring.slots.slot(connection.slot);
        try {
            if (!connection.channel.finishConnect()) {
                return;
            }
            connection.state = UpstreamConnection.BUSY;
            connection.requestsOnSocket = 1;
            connection.key.interestOps(0);
            writeRequest(slot);
        } catch (final IOException ex) {
            counters.errors++;
            discardConnection(slot);
            answer(slot, 502);
        }
    }

    /** Write what is pending of the head and the current body part; then wait for more body or the response. */
    private void writeRequest(final ConnectionSlot slot) throws IOException {
        final UpstreamConnection connection = slot.upstream;
        gather[0] = slot.responseBuffer;
        gather[1] = slot.requestBuffer;
        try {
            connection.channel.write(gather, 0, 2);
        } catch (final IOException ex) {
            onOriginFailure(slot);
            return;
        } finally {
            gather[0] = null;
            gather[1] = null;
        }
        if (slot.responseBuffer.hasRemaining() || slot.requestBuffer.hasRemaining()) {
            connection.key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        if (slot.requestComplete) {
            slot.state = ConnectionState.READING_RESPONSE;
            slot.responseFilled = 0;
            connection.key.interestOps(SelectionKey.OP_READ);
        } else {
            connection.key.interestOps(0);
            wiring.toParse(slot, ConnectionState.READING_BODY);
        }
    }

    private void readResponse(final ConnectionSlot slot) throws IOException {
        final UpstreamConnection connection = slot.upstream;
        final ByteBuffer buffer = slot.responseBuffer;
        buffer.limit(responseBlockLength).position(slot.responseFilled);
        final int n;
        try {
            n = connection.channel.read(buffer);
        } catch (final IOException ex) {
            onOriginFailure(slot);
            return;
        }
        if (n < 0) {
            onOriginEnd(slot);
            return;
        }
        if (n == 0) {
            connection.key.interestOps(SelectionKey.OP_READ);
            return;
        }
        slot.responseFilled += n;
        int bodyFrom = 0;
        if (!slot.responseHeadParsed) {
            final int status = responseParser.parse(upstreamStore, slot.responseBase, slot.responseFilled,
                responseBlockLength, slot.response);
            if (status == ParseStatus.NEED_MORE) {
                connection.key.interestOps(SelectionKey.OP_READ);
                return;
            }
            if (status != ParseStatus.COMPLETE || slot.response.status() == 101
                || (slot.response.status() >= 100 && slot.response.status() < 200)) {
                // Weir does not relay protocol switches, and asks for no interim responses (it drops Expect).
                onOriginFailure(slot);
                return;
            }
            slot.responseHeadParsed = true;
            slot.responseFraming = slot.response.framing(slot.request.method());
            slot.responseBodyRemaining = slot.response.contentLength();
            slot.responseChunks.reset();
            bodyFrom = slot.response.headLength();
        }
        frameResponseBody(slot, bodyFrom);
    }

    /**
     * Frame what was read, and when that leaves the response incomplete with room left in the block, read the
     * origin once more before handing the block on: a 16 KiB response often arrives in two segments, and each
     * hand-off costs a write-stage turn and a ring round trip.
     */
    private void frameResponseBody(final ConnectionSlot slot, final int from) throws IOException {
        int next = from;
        for (int extraReads = 1; ; extraReads--) {
            final int end = frameRead(slot, next);
            if (end < 0) {
                return;
            }
            final int filled = slot.responseFilled;
            if (slot.responseComplete || extraReads == 0 || end != filled || filled == responseBlockLength) {
                handOff(slot, end);
                return;
            }
            final int n;
            try {
                n = slot.upstream.channel.read(slot.responseBuffer);
            } catch (final IOException ex) {
                onOriginFailure(slot);
                return;
            }
            if (n <= 0) {
                // Nothing more yet, or the origin's end, which the next read meets again.
                handOff(slot, end);
                return;
            }
            slot.responseFilled += n;
            next = filled;
        }
    }

    /**
     * Frame the bytes read from {@code from} to {@code responseFilled}.
     *
     * @return the end of what may be written so far, or -1 when the origin failed (already handled).
     */
    private int frameRead(final ConnectionSlot slot, final int from) {
        final int to = slot.responseFilled;
        int end = to;
        switch (slot.responseFraming) {
            case ResponseHead.FRAMING_NONE:
                end = from;
                slot.responseComplete = true;
                break;
            case ResponseHead.FRAMING_LENGTH: {
                final long take = Math.min(slot.responseBodyRemaining, to - from);
                end = from + (int) take;
                slot.responseBodyRemaining -= take;
                slot.responseComplete = slot.responseBodyRemaining == 0;
                break;
            }
            case ResponseHead.FRAMING_CHUNKED: {
                final int result = slot.responseChunks.scan(upstreamStore, slot.responseBase + from, to - from);
                if (result == ChunkedScanner.MALFORMED) {
                    onOriginFailure(slot);
                    return -1;
                }
                if (result == ChunkedScanner.DONE) {
                    end = from + slot.responseChunks.consumed();
                    slot.responseComplete = true;
                }
                break;
            }
            default:
                // Close-delimited: everything until the origin closes.
                break;
        }
        return end;
    }

    private void handOff(final ConnectionSlot slot, final int end) throws IOException {
        final int to = slot.responseFilled;
        if (slot.responseComplete) {
            final boolean reusable = end == to && slot.response.isReusable()
                && slot.responseFraming != ResponseHead.FRAMING_CLOSE;
            releaseConnection(slot, reusable);
            if (slot.responseFraming == ResponseHead.FRAMING_CLOSE) {
                slot.keepAlive = false;
            }
        } else {
            slot.upstream.key.interestOps(0);
        }
        if (end == 0 && !slot.responseComplete) {
            // Nothing to write yet (the head arrived alone and exactly filled what was read): read on.
            slot.upstream.key.interestOps(SelectionKey.OP_READ);
            return;
        }
        slot.responseEnd = end;
        slot.responseStarted = true;
        slot.responseBuffer.limit(end).position(0);
        wiring.toWrite(slot, ConnectionState.WRITING_RESPONSE);
    }

    /** The origin closed its side: the end of a close-delimited body, or a failure. */
    private void onOriginEnd(final ConnectionSlot slot) throws IOException {
        if (slot.responseHeadParsed && slot.responseFraming == ResponseHead.FRAMING_CLOSE) {
            slot.responseComplete = true;
            slot.keepAlive = false;
            releaseConnection(slot, false);
            slot.responseEnd = slot.responseFilled;
            slot.responseBuffer.limit(slot.responseFilled).position(0);
            wiring.toWrite(slot, ConnectionState.WRITING_RESPONSE);
            return;
        }
        onOriginFailure(slot);
    }

    /**
     * The origin failed: 502 when nothing was sent to the client yet, else close the client too. A reused
     * keep-alive socket that fails before any response byte was most likely closed by the origin while idle;
     * a request that is still whole in the parse block is then sent once more on a fresh connection.
     */
    private void onOriginFailure(final ConnectionSlot slot) {
        counters.errors++;
        final UpstreamConnection failed = slot.upstream;
        final boolean retry = failed != null && failed.requestsOnSocket > 1 && slot.requestReplayable
            && !slot.retried && slot.responseFilled == 0 && !slot.responseHeadParsed;
        discardConnection(slot);
        if (retry) {
            slot.retried = true;
            slot.state = ConnectionState.FORWARDING_HEAD;
            final UpstreamConnection fresh = pool.tryAcquire();
            if (fresh == null) {
                pool.enqueue(slot.index);
                return;
            }
            try {
                startForwarding(slot, fresh);
            } catch (final IOException ex) {
                discardConnection(slot);
                answer(slot, 502);
            }
            return;
        }
        if (slot.responseStarted) {
            wiring.closeAndRelease(slot);
        } else {
            answer(slot, 502);
        }
    }

    private void abort(final ConnectionSlot slot) {
        if (slot.upstream != null) {
            discardConnection(slot);
        }
        wiring.closeAndRelease(slot);
    }

    private void answer(final ConnectionSlot slot, final int status) {
        counters.errorResponses++;
        slot.cannedStatus = status;
        wiring.toWrite(slot, ConnectionState.WRITING_CANNED);
    }

    /** Close the slot's origin connection (its state is unknown mid-exchange) and return it to the pool. */
    private void discardConnection(final ConnectionSlot slot) {
        final UpstreamConnection connection = slot.upstream;
        if (connection == null) {
            return;
        }
        Wiring.closeQuietly(connection.channel);
        connection.channel = null;
        connection.key = null;
        connection.state = UpstreamConnection.DISCONNECTED;
        slot.upstream = null;
        pool.release(connection);
        serveWaiting();
    }

    private void releaseConnection(final ConnectionSlot slot, final boolean reusable) {
        final UpstreamConnection connection = slot.upstream;
        if (!reusable || connection.state != UpstreamConnection.BUSY && connection.state != UpstreamConnection.IDLE) {
            discardConnection(slot);
            return;
        }
        connection.state = UpstreamConnection.IDLE;
        // Watch the idle socket so an origin that closes it is noticed before the next request.
        connection.key.interestOps(SelectionKey.OP_READ);
        slot.upstream = null;
        pool.release(connection);
        serveWaiting();
    }

    private void serveWaiting() {
        while (pool.canServeWaiting()) {
            final int index = pool.pollWaiting();
            final ConnectionSlot waiting = wiring.slots.slot(index);
            try {
                startForwarding(waiting, pool.tryAcquire());
            } catch (final IOException ex) {
                counters.errors++;
                discardConnection(waiting);
                answer(waiting, 502);
            }
        }
    }

    private void onIdleReadable(final UpstreamConnection connection) {
        int n;
        try {
            idleScratch.clear();
            n = connection.channel.read(idleScratch);
        } catch (final IOException ex) {
            n = -1;
        }
        if (n != 0) {
            // Closed by the origin, or bytes nobody asked for: either way the socket cannot be reused.
            Wiring.closeQuietly(connection.channel);
            connection.channel = null;
            connection.key = null;
            pool.onIdleClosed(connection);
        }
    }

    @Override
    void onFailure(final int index, final Throwable cause) {
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (slot.state == ConnectionState.FREE) {
            return;
        }
        if (slot.upstream != null) {
            discardConnection(slot);
        }
        if (slot.responseStarted || slot.state == ConnectionState.ABORTING) {
            wiring.closeAndRelease(slot);
        } else {
            answer(slot, 502);
        }
    }

    @Override
    public void onClose() {
        for (int i = 0; i < pool.size(); i++) {
            Wiring.closeQuietly(pool.connection(i).channel);
        }
        super.onClose();
    }
}
