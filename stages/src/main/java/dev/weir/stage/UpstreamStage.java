package dev.weir.stage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import net.openhft.chronicle.bytes.BytesStore;

import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ConnectionState;
import dev.weir.conn.RequestHalf;
import dev.weir.conn.ResponseHalf;
import dev.weir.conn.TimeoutKind;
import dev.weir.http.BodyFramer;
import dev.weir.http.HeaderRewriter;
import dev.weir.http.ParseStatus;
import dev.weir.http.RequestHead;
import dev.weir.http.ResponseHeadParser;
import dev.weir.http.ResponseHeadRewriter;
import dev.weir.ring.StageRing;
import dev.weir.ring.WakeSignal;
import dev.weir.upstream.Balancer;
import dev.weir.upstream.HealthChecker;
import dev.weir.upstream.UpstreamConnection;
import dev.weir.upstream.UpstreamGroup;
import dev.weir.upstream.UpstreamPool;
import dev.weir.upstream.UpstreamServer;
import dev.weir.upstream.Upstreams;

/**
 * Talks to the origin, where both halves of an exchange meet: it takes an origin connection for the request
 * half (queueing under {@code upstream.max-connections}), writes the rewritten head and each body part the
 * parse stage reads, and at the same time reads the response into the response half's block and writes each
 * part to the client itself ({@code write.through}): a part the client takes whole is followed at once by the
 * next read, with no hand-off; a part the client takes only in part goes to the write stage, which waits for
 * the client. The two directions flow independently, so an origin that answers while it reads (an echo, an
 * early 413) is relayed at once.
 * <p>
 * A response block is refilled only after the client took its part, and a body part is read from the client
 * only after the previous one went out: that is the backpressure that keeps memory fixed.
 * <p>
 * Each new exchange is routed once ({@code RouteTable}: host, then path prefix) to an upstream group, whose
 * {@link Balancer} (this thread's own) picks an available server; a group with none answers 503 at once. A
 * failure of a server counts toward its ejection (shared by every upstream thread), and an idempotent request
 * that could not connect is sent once more to another server of its group.
 * <p>
 * Deadlines, one per slot: the queue wait, the connect, and origin inactivity (nothing read from or written to
 * the origin for {@code timeout.upstream-response} while the exchange waits on it): 503, 504, or a reset when
 * the response had begun.
 * <p>
 * <b>Note:</b> one thread per instance, owning its pool of origin connections; a slot is served by instance
 * {@code index % upstreamThreads}. {@link #holdsRequest} and {@link #holdsResponse} say which halves this
 * stage owns; {@code ConnectionSlot.origin} and {@code exchangeFailed} are this stage's alone.
 */
final class UpstreamStage extends SelectorStage {

    private static final int SELF = ConnectionState.OWNER_UPSTREAM;
    /**
     * Most parts of one response written through, each read right after the last, before the stage turns to
     * its other sockets: one fast origin and client pair must not hold the thread for a whole large body.
     */
    static final int DEFAULT_WRITE_THROUGH_PARTS_PER_TURN = 8;
    /**
     * Most request body parts read from the client and written to the origin in a row, before the rest waits for
     * the parse stage: the same bound as the write-through, for the same reason.
     */
    static final int DEFAULT_READ_THROUGH_PARTS_PER_TURN = 8;
    /** {@link #readBodyThrough}: a part was read and framed, ready to write. */
    private static final int BODY_PART_READ = 0;
    /** {@link #readBodyThrough}: nothing to read now, or the client is gone: the parse stage takes over. */
    private static final int NO_BODY_PART = 1;
    /** {@link #readBodyThrough}: the part broke the body's framing or limit; the exchange has failed. */
    private static final int BODY_PART_REFUSED = 2;

    private final Wiring wiring;
    private final TcpCalls tcpCalls = new TcpCalls();
    private final UpstreamPool pool;
    private final int thread;
    private final Upstreams upstreams;
    private final UpstreamServer[] servers;
    private final Balancer[] balancers;
    private HealthChecker healthChecker;
    private final BytesStore<?, ?> parseStore;
    private final BytesStore<?, ?> upstreamStore;
    private final int responseBlockLength;
    /** Boxed once: {@code setOption} takes an {@code Integer}, and values above 127 are not cached. */
    private final Integer receiveBufferBytes;
    private final Integer sendBufferBytes;
    private final long connectTimeoutNs;
    private final long responseTimeoutNs;
    private final long queueTimeoutNs;
    private final long tunnelIdleTimeoutNs;
    private final boolean writeThrough;
    /** Set when a part was written through whole and the response goes on: {@link #readResponse} reads again. */
    private boolean readAgain;
    private final HeaderRewriter rewriter = new HeaderRewriter();
    private final ResponseHeadParser responseParser = new ResponseHeadParser();
    private final ResponseHeadRewriter headRewriter = new ResponseHeadRewriter();
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private final ByteBuffer idleScratch;
    private final boolean[] holdsRequest;
    private final boolean[] holdsResponse;
    /**
     * Set when a client did not take a part written through whole: the rest of that response goes through the
     * write stage. A client whose send buffer is full only just after the read takes the next part whole a
     * hand-off later, while a part written at once would be partial again and cost an {@code OP_WRITE} wait:
     * measured at 1 MiB, writing through after a partial write cost about 12 % of requests/s.
     */
    private final boolean[] sendBufferBound;
    private final boolean[] headSent;
    /** Per slot: the upstream group the exchange was routed to, or -1 before routing. */
    private final int[] groupOf;
    /** Per slot: the server a failed connect leaves out of the retry, or -1. */
    private final int[] excludedServer;

    UpstreamStage(final int id, final Selector selector, final WakeSignal wake, final StageRing inbox,
        final Wiring wiring, final UpstreamPool pool, final Upstreams upstreams,
        final BytesStore<?, ?> parseStore, final BytesStore<?, ?> upstreamStore, final int responseBlockLength,
        final int receiveBufferBytes, final int sendBufferBytes, final ByteBuffer idleScratch,
        final StageTimeouts timeouts, final AdmissionGate admission, final boolean writeThrough) {
        super("weir-upstream-" + id, selector, wake, inbox, wiring.slots.capacity());
        this.wiring = wiring;
        this.gate = admission;
        this.pool = pool;
        this.thread = id;
        this.upstreams = upstreams;
        this.servers = upstreams.servers();
        this.balancers = new Balancer[upstreams.groupCount()];
        for (int g = 0; g < balancers.length; g++) {
            balancers[g] = new Balancer(upstreams.group(g));
        }
        this.parseStore = parseStore;
        this.upstreamStore = upstreamStore;
        this.responseBlockLength = responseBlockLength;
        this.receiveBufferBytes = Integer.valueOf(receiveBufferBytes);
        this.sendBufferBytes = Integer.valueOf(sendBufferBytes);
        this.idleScratch = idleScratch;
        this.connectTimeoutNs = timeouts.upstreamConnectNs;
        this.responseTimeoutNs = timeouts.upstreamResponseNs;
        this.queueTimeoutNs = timeouts.queueNs;
        this.tunnelIdleTimeoutNs = timeouts.tunnelIdleNs;
        this.writeThrough = writeThrough;
        final int slots = wiring.slots.capacity();
        this.holdsRequest = new boolean[slots];
        this.holdsResponse = new boolean[slots];
        this.sendBufferBound = new boolean[slots];
        this.headSent = new boolean[slots];
        this.groupOf = new int[slots];
        this.excludedServer = new int[slots];
    }

    /**
     * Run the active health checks on this stage's loop; called before the stage thread starts.
     *
     * @param checker the checker, built over this stage's selector.
     */
    void healthChecker(final HealthChecker checker) {
        this.healthChecker = checker;
    }

    /** @return the active health checker this stage runs, or {@code null}. */
    HealthChecker healthChecker() {
        return healthChecker;
    }

    /** @return the pool of origin connections this stage owns. */
    UpstreamPool pool() {
        return pool;
    }

    // ---- hand-offs: every move of a half goes through Wiring, and this stage notes what it still holds.

    private void moveRequest(final ConnectionSlot slot, final int to) {
        holdsRequest[slot.index] = ConnectionState.owner(to) == SELF;
        wiring.request(slot, to, SELF);
    }

    private void moveResponse(final ConnectionSlot slot, final int to) {
        holdsResponse[slot.index] = ConnectionState.owner(to) == SELF;
        // For the write thread's admission gate: how long the half then waits in its inbox.
        slot.response.queuedNs = nowNs;
        wiring.response(slot, to, SELF);
    }

    private void endRequest(final ConnectionSlot slot) {
        holdsRequest[slot.index] = false;
        wiring.endRequest(slot, SELF);
    }

    private void endResponse(final ConnectionSlot slot) {
        holdsResponse[slot.index] = false;
        wiring.endResponse(slot, SELF);
    }

    // ---- events

    @Override
    void onSlot(final int index, final boolean responseHalf) throws IOException {
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (responseHalf) {
            holdsResponse[index] = true;
            switch (slot.response.state) {
                case ConnectionState.RECEIVING:
                    onPartWritten(slot);
                    break;
                case ConnectionState.ABORTING_RESPONSE:
                    onClientFailedMidResponse(slot);
                    break;
                default:
                    throw unexpectedState(slot, slot.response.state);
            }
            return;
        }
        holdsRequest[index] = true;
        switch (slot.request.state) {
            case ConnectionState.QUEUED:
                // A new exchange: the response half, still IDLE, comes along with the request half.
                gate.onTaken(nowNs - slot.request.queuedNs, nowNs);
                holdsResponse[index] = true;
                counters.increment(StageCounters.REQUESTS);
                groupOf[index] = -1;
                sendBufferBound[index] = false;
                excludedServer[index] = -1;
                forward(slot);
                break;
            case ConnectionState.SENDING:
                onBodyPart(slot);
                break;
            case ConnectionState.ABORTING_REQUEST:
                onClientFailedMidRequest(slot);
                break;
            default:
                throw unexpectedState(slot, slot.request.state);
        }
    }

    @Override
    int onReady(final SelectionKey key) throws IOException {
        final Object attachment = key.attachment();
        if (attachment instanceof HealthChecker.Probe) {
            final HealthChecker.Probe probe = (HealthChecker.Probe) attachment;
            if (key.channel() != probe.channel()) {
                key.cancel();
            } else {
                healthChecker.onReady(probe, nowNs);
            }
            return -1;
        }
        final UpstreamConnection connection = (UpstreamConnection) attachment;
        if (key.channel() != connection.channel) {
            key.cancel();
            return -1;
        }
        if (connection.state == UpstreamConnection.IDLE) {
            onIdleReadable(connection);
            return -1;
        }
        final ConnectionSlot slot = wiring.slots.slot(connection.slot);
        if (connection.state == UpstreamConnection.CONNECTING) {
            onConnectable(slot, connection);
            return slot.index;
        }
        final int ready = key.readyOps();
        if ((ready & SelectionKey.OP_WRITE) != 0 && holdsRequest[slot.index]
            && slot.request.state == ConnectionState.SENDING) {
            writeRequest(slot);
        }
        if ((ready & SelectionKey.OP_READ) != 0 && slot.origin == connection && holdsResponse[slot.index]
            && slot.response.state == ConnectionState.RECEIVING) {
            readResponse(slot, true);
        }
        settle(slot);
        return slot.index;
    }

    @Override
    void onExpiry(final int index, final int kind) {
        final ConnectionSlot slot = wiring.slots.slot(index);
        switch (kind) {
            case TimeoutKind.QUEUE:
                if (pool.dequeue(index)) {
                    answerEarly(slot, 503);
                }
                break;
            case TimeoutKind.TUNNEL_IDLE:
                if (slot.origin != null) {
                    closeTunnel(slot);
                }
                break;
            case TimeoutKind.UPSTREAM_CONNECT:
            case TimeoutKind.UPSTREAM_RESPONSE:
                if (slot.origin != null) {
                    originFailed(slot, 504);
                }
                break;
            default:
                throw unexpectedState(slot, slot.request.state);
        }
    }

    @Override
    int doOtherWork() {
        // Serving the queue is a loop here, never a recursion from a release: its depth cannot grow with it.
        int served = healthChecker == null ? 0 : healthChecker.poll(nowNs);
        while (pool.canServeWaiting()) {
            final int index = pool.peekWaiting();
            pool.dequeue(index);
            timers.cancel(index);
            try {
                acquire(wiring.slots.slot(index), true);
            } catch (final RuntimeException ex) {
                fail(index, ex);
            }
            served++;
        }
        return served;
    }

    @Override
    boolean hasPendingWork() {
        return super.hasPendingWork() || pool.canServeWaiting();
    }

    // ---- the request half

    /** Rewrite the head into the response block, frame the body bytes already read, and find a connection. */
    private void forward(final ConnectionSlot slot) {
        final RequestHalf request = slot.request;
        final ResponseHalf response = slot.response;
        final RequestHead head = request.head;
        final int headLength = rewriter.rewrite(parseStore, request.base, head, upstreamStore, response.base,
            responseBlockLength, slot.clientAddress, slot.clientAddressLength);
        if (headLength == HeaderRewriter.TOO_LARGE) {
            answerEarly(slot, 431);
            return;
        }
        response.buffer.limit(headLength).position(0);
        headSent[slot.index] = false;
        request.framer.begin(head.isChunked() ? BodyFramer.CHUNKED : BodyFramer.LENGTH,
            head.contentLength() > 0 ? head.contentLength() : 0);
        final int badBody = framePart(slot, head.headLength());
        if (badBody != 0) {
            answerEarly(slot, badBody);
            return;
        }
        request.replayable = request.framer.isComplete();
        if (groupOf[slot.index] < 0) {
            final long base = request.base;
            groupOf[slot.index] = upstreams.routes().match(parseStore, base + head.hostStart(), head.hostLength(),
                base + head.pathStart(), head.pathLength());
        }
        acquire(slot, false);
    }

    /**
     * Pick a server of the slot's group and take a connection to it: attached now, or the slot queues until one
     * is free. A group with no available server answers 503 at once.
     * <p>
     * While slots wait, a new request queues behind them even if a connection was just given back: any free
     * connection serves any waiting slot ({@link #doOtherWork}, this turn), and a keep-alive client whose next
     * request follows its response at once would otherwise take its own connection back every time and starve
     * the clients waiting before it. A slot that queues picks its server only when served: a pick moves the
     * balancer on, and a pick thrown away at every queueing would land every pick that counts on one server.
     *
     * @param waited the slot comes from the head of the queue.
     */
    private void acquire(final ConnectionSlot slot, final boolean waited) {
        final int index = slot.index;
        if (!waited && !pool.canServeNew()) {
            queue(index);
            return;
        }
        final int server = balancers[groupOf[index]].pick(nowNs, excludedServer[index], pool.inFlight());
        if (server == Balancer.NONE) {
            answerEarly(slot, 503);
            return;
        }
        final UpstreamConnection connection = pool.tryAcquire(server);
        if (connection == null) {
            queue(index);
            return;
        }
        attach(slot, connection);
    }

    private void queue(final int index) {
        pool.enqueue(index);
        deadline(index, queueTimeoutNs, TimeoutKind.QUEUE);
    }

    /**
     * Point the request block's view at the body bytes from {@code from}; bytes after the body stay for the
     * next pipelined request.
     *
     * @return 0, or the status to answer: 400 when the chunked framing is malformed, 413 when a chunked body
     *         outgrows {@code parse.max-body} (counted as received, chunk framing included; a Content-Length
     *         was checked with the head).
     */
    private int framePart(final ConnectionSlot slot, final int from) {
        final RequestHalf request = slot.request;
        final int end = request.framer.frame(parseStore, request.base, from, request.filled);
        if (end == BodyFramer.MALFORMED) {
            return 400;
        }
        if (!request.tunnel && request.head.policy().bodyTooLarge(request.framer.framedBytes())) {
            // A tunnel's bytes are no request body: parse.max-body does not count them.
            return 413;
        }
        request.bodyFrom = from;
        request.bodyEnd = end;
        request.buffer.limit(end).position(from);
        return 0;
    }

    private void attach(final ConnectionSlot slot, final UpstreamConnection connection) {
        slot.origin = connection;
        slot.facts.server = connection.server;
        connection.slot = slot.index;
        if (connection.state == UpstreamConnection.IDLE) {
            connection.attach();
            connection.requestsOnSocket++;
            moveRequest(slot, ConnectionState.SENDING);
            writeRequest(slot);
            settle(slot);
            return;
        }
        final boolean connected;
        try {
            connected = connection.open(selector, servers[connection.server].socketAddress(), receiveBufferBytes,
                sendBufferBytes);
        } catch (final IOException ex) {
            originFailed(slot, 502);
            return;
        }
        pool.onOpened(connection);
        connection.slot = slot.index;
        if (connected) {
            connection.requestsOnSocket = 1;
            moveRequest(slot, ConnectionState.SENDING);
            writeRequest(slot);
            settle(slot);
        } else {
            moveRequest(slot, ConnectionState.CONNECTING);
            deadline(slot.index, connectTimeoutNs, TimeoutKind.UPSTREAM_CONNECT);
        }
    }

    private void onConnectable(final ConnectionSlot slot, final UpstreamConnection connection) {
        try {
            if (!connection.finishConnect()) {
                return;
            }
        } catch (final IOException ex) {
            originFailed(slot, 502);
            return;
        }
        connection.requestsOnSocket = 1;
        moveRequest(slot, ConnectionState.SENDING);
        writeRequest(slot);
        settle(slot);
    }

    /** A body part the parse stage read. */
    private void onBodyPart(final ConnectionSlot slot) {
        if (slot.exchangeFailed) {
            // Answered early or failed: the rest of the upload is not forwarded.
            endRequest(slot);
            return;
        }
        final int badBody = framePart(slot, 0);
        if (badBody != 0) {
            slot.request.abortStatus = badBody;
            onClientFailedMidRequest(slot);
            return;
        }
        writeRequest(slot);
        settle(slot);
    }

    /**
     * Write what is pending of the forwarded head and the current body part. A part that went out whole with
     * more body to come is followed by a read of the next part from the client, here (read-through): an upload
     * whose rest is already in the client's socket then costs no round trip through the parse stage (two
     * hand-offs per part). When the client has nothing yet, after the read-through bound per turn, or for a
     * tunnel, the request half goes to the parse stage, which waits under {@code timeout.client-body}.
     */
    private void writeRequest(final ConnectionSlot slot) {
        final RequestHalf request = slot.request;
        final int index = slot.index;
        // A loop, not a recursion: the stack stays flat however many parts; bounded so one fast uploader and
        // origin pair cannot hold the thread.
        for (int part = 1; ; part++) {
            try {
                if (headSent[index]) {
                    slot.origin.channel.write(request.buffer);
                } else {
                    gather[0] = slot.response.buffer;
                    gather[1] = request.buffer;
                    slot.origin.channel.write(gather, 0, 2);
                }
            } catch (final IOException ex) {
                onRequestWriteFailed(slot);
                return;
            } finally {
                gather[0] = null;
                gather[1] = null;
            }
            if (!headSent[index] && !slot.response.buffer.hasRemaining()) {
                headSent[index] = true;
                slot.response.filled = ResponseHeadRewriter.HEAD_ROOM;
                moveResponse(slot, ConnectionState.RECEIVING);
            }
            if (request.buffer.hasRemaining() || !headSent[index]) {
                return;
            }
            if (request.framer.isComplete()) {
                moveRequest(slot, ConnectionState.SENT);
                return;
            }
            // A tunnel's client bytes keep the parse stage's wait: its idle deadline counts them there.
            final int read = request.tunnel || part == DEFAULT_READ_THROUGH_PARTS_PER_TURN ? NO_BODY_PART
                : readBodyThrough(slot);
            if (read == NO_BODY_PART) {
                moveRequest(slot, ConnectionState.READING_BODY);
                return;
            }
            if (read == BODY_PART_REFUSED) {
                return;
            }
            counters.increment(StageCounters.BODY_PARTS_READ_THROUGH);
        }
    }

    /**
     * Read the request body's next part from the client into the parse block, which the part just written
     * left free, and frame it.
     *
     * @return {@link #BODY_PART_READ}; {@link #NO_BODY_PART} when the client sent nothing yet, closed or failed
     *         (the parse stage then waits, or meets the end itself and aborts as for any body read); or
     *         {@link #BODY_PART_REFUSED} when the framing refused the part and the exchange was failed here.
     */
    private int readBodyThrough(final ConnectionSlot slot) {
        final RequestHalf request = slot.request;
        final ByteBuffer buffer = request.buffer;
        // The request block's view is exactly one parse block.
        buffer.limit(buffer.capacity()).position(0);
        final int n;
        try {
            n = slot.client.read(buffer);
        } catch (final IOException ex) {
            // Linux reports a reset once; the parse stage's read then meets the end of stream.
            return NO_BODY_PART;
        }
        if (n <= 0) {
            return NO_BODY_PART;
        }
        request.filled = n;
        // The parse stage's minimum rate counts every body byte, also those read here.
        request.bodyBytesRead += n;
        final int badBody = framePart(slot, 0);
        if (badBody != 0) {
            request.abortStatus = badBody;
            onClientFailedMidRequest(slot);
            return BODY_PART_REFUSED;
        }
        return BODY_PART_READ;
    }

    /**
     * The origin stopped taking the request. It may have answered first (an early 413, then a close): read
     * that answer before deciding, so it is relayed rather than replaced by a 502.
     */
    private void onRequestWriteFailed(final ConnectionSlot slot) {
        final UpstreamConnection connection = slot.origin;
        if (headSent[slot.index] && holdsResponse[slot.index] && slot.response.state == ConnectionState.RECEIVING) {
            // The failed write may have taken the reset's error, and a read after it then meets a plain end of
            // stream: that end cannot complete a close-delimited body, only a framed answer.
            readResponse(slot, false);
        }
        if (slot.origin == connection && connection != null && holdsRequest[slot.index]) {
            originFailed(slot, 502);
        }
    }

    /** The client left or stalled mid-body (the parse stage gave up on it). */
    private void onClientFailedMidRequest(final ConnectionSlot slot) {
        if (slot.exchangeFailed) {
            endRequest(slot);
            return;
        }
        if (slot.request.tunnel) {
            closeTunnel(slot);
            return;
        }
        counters.increment(StageCounters.ERRORS);
        dropOrigin(slot);
        slot.exchangeFailed = true;
        final int status = slot.request.abortStatus;
        if (holdsResponse[slot.index] && !slot.response.started && status != 0) {
            slot.response.cannedStatus = status;
            slot.request.closeMode = ConnectionSlot.CLOSE_LINGER;
            endRequest(slot);
            moveResponse(slot, ConnectionState.CANNED);
            return;
        }
        slot.request.closeMode = ConnectionSlot.CLOSE_RESET;
        final boolean responseHere = holdsResponse[slot.index];
        if (!responseHere) {
            // Before ending this half: once both have ended the slot may already serve another client. The
            // response half at the write stage comes back here after its part and ends then.
            Wiring.wakeClientReader(slot);
        }
        endRequest(slot);
        if (responseHere) {
            endResponse(slot);
        }
    }

    // ---- the response half

    /** The write stage drained a part: read the next, unless the exchange failed meanwhile. */
    private void onPartWritten(final ConnectionSlot slot) throws IOException {
        if (slot.exchangeFailed || slot.origin == null) {
            slot.response.closeMode = slot.request.tunnel ? ConnectionSlot.CLOSE_LINGER : ConnectionSlot.CLOSE_RESET;
            endResponse(slot);
            return;
        }
        final ResponseHalf response = slot.response;
        if (!response.headParsed) {
            // An interim head went out: what followed it is the next head.
            carryOver(slot, response.end);
            if (response.filled > ResponseHeadRewriter.HEAD_ROOM) {
                onResponseBytes(slot);
            } else {
                readResponse(slot, true);
            }
        } else {
            response.filled = 0;
            readResponse(slot, true);
        }
        settle(slot);
    }

    /** The client left or stalled mid-response while the origin connection was still attached. */
    private void onClientFailedMidResponse(final ConnectionSlot slot) {
        counters.increment(StageCounters.ERRORS);
        dropOrigin(slot);
        slot.exchangeFailed = true;
        slot.response.closeMode = ConnectionSlot.CLOSE_RESET;
        if (holdsRequest[slot.index]) {
            endRequest(slot);
        } else {
            Wiring.wakeClientReader(slot);
        }
        endResponse(slot);
    }

    /**
     * Read what the origin sent and go on with it.
     *
     * @param slot         the slot whose response half this stage holds.
     * @param endCompletes an end of stream may complete a close-delimited body; {@code false} after a failed
     *                     request write, when the end may stand for a reset the write already reported.
     */
    private void readResponse(final ConnectionSlot slot, final boolean endCompletes) {
        // A loop, not a recursion from the write-through: the stack stays flat however long the body.
        for (int part = 0; part < DEFAULT_WRITE_THROUGH_PARTS_PER_TURN; part++) {
            readAgain = false;
            readResponseOnce(slot, endCompletes);
            if (!readAgain || slot.origin == null) {
                return;
            }
        }
        // Left for the next turn, when the selector reports the origin readable again.
        readAgain = false;
    }

    private void readResponseOnce(final ConnectionSlot slot, final boolean endCompletes) {
        final ResponseHalf response = slot.response;
        final ByteBuffer buffer = response.buffer;
        buffer.limit(responseBlockLength).position(response.filled);
        final int n;
        try {
            n = slot.origin.channel.read(buffer);
        } catch (final IOException ex) {
            originFailed(slot, 502);
            return;
        }
        if (n < 0) {
            onOriginEnd(slot, endCompletes);
            return;
        }
        if (n == 0) {
            return;
        }
        if (!buffer.hasRemaining() && !response.quickAckAsked) {
            // A read that fills the block: a large response, whose window updates must not wait (TcpCalls).
            response.quickAckAsked = true;
            tcpCalls.quickAck(TcpCalls.descriptor(slot.origin.channel));
        }
        response.filled += n;
        onResponseBytes(slot);
    }

    /** Parse the head (and any interim heads before it) from what is in the block, then frame the body. */
    private void onResponseBytes(final ConnectionSlot slot) {
        final ResponseHalf response = slot.response;
        if (response.headParsed) {
            frameResponse(slot, 0);
            return;
        }
        final int headStart = ResponseHeadRewriter.HEAD_ROOM;
        final RequestHalf request = slot.request;
        final boolean toHttp10 = request.head.version() == 10;
        int headEnd;
        for (;;) {
            final int status = responseParser.parse(upstreamStore, response.base + headStart,
                response.filled - headStart, responseBlockLength - headStart, response.head);
            if (status == ParseStatus.NEED_MORE) {
                return;
            }
            if (status != ParseStatus.COMPLETE || response.head.status() == 101 && !request.head.isUpgrade()) {
                // Malformed, or a protocol switch the client did not ask for.
                originFailed(slot, 502);
                return;
            }
            headEnd = headStart + response.head.headLength();
            servers[slot.origin.server].onSuccess();
            if (response.head.status() == 101) {
                slot.facts.status = 101;
                slot.facts.responseHeadNanos = nowNs;
                openTunnel(slot, headEnd);
                return;
            }
            if (response.head.status() >= 200) {
                slot.facts.status = response.head.status();
                slot.facts.responseHeadNanos = nowNs;
                break;
            }
            // An interim (1xx) head: relayed to an HTTP/1.1 client, dropped for an HTTP/1.0 one (RFC 9110 15.2).
            response.carry = response.filled - headEnd;
            response.head.reset();
            if (!toHttp10) {
                relayInterimHead(slot, headEnd);
                return;
            }
            carryOver(slot, headEnd);
        }
        final int framing = response.head.framing(request.head.method());
        final boolean decode = toHttp10 && framing == BodyFramer.CHUNKED;
        // While draining the client is told the connection closes after this response, so it sends no more.
        final boolean keep = request.keepAlive && framing != BodyFramer.UNTIL_CLOSE && !decode
            && holdsRequest[slot.index] && request.state == ConnectionState.SENT && !wiring.isDraining();
        final int connection = keep ? toHttp10 ? ResponseHeadRewriter.CONNECTION_KEEP_ALIVE
            : ResponseHeadRewriter.CONNECTION_NONE : ResponseHeadRewriter.CONNECTION_CLOSE;
        // The common case, an HTTP/1.1 head with nothing hop-by-hop for a kept 1.1 client, is already what the
        // client must get: it stays where it is. Otherwise it is rebuilt; an HTTP/1.0 client never sees chunked
        // coding (the body is decoded, and delimited by the close).
        final int start = connection == ResponseHeadRewriter.CONNECTION_NONE && response.head.hopByHopFields() == 0
            && response.head.version() == 11 ? headStart : headRewriter.rewrite(upstreamStore, response.base,
            headStart, response.head.headLength(), connection, toHttp10);
        if (start == ResponseHeadRewriter.TOO_MANY_TOKENS) {
            originFailed(slot, 502);
            return;
        }
        if (!keep) {
            // The client was told the connection closes after this response.
            response.closeMode = Math.max(response.closeMode, ConnectionSlot.CLOSE_LINGER);
        }
        response.headParsed = true;
        response.start = start;
        response.framer.begin(decode ? BodyFramer.CHUNKED_DECODED : framing, response.head.contentLength());
        frameResponse(slot, headEnd);
    }

    /**
     * The origin switched protocols for a WebSocket handshake: from now on the slot is a byte tunnel through its
     * two blocks, each half framed until its sender closes, until either side closes or the tunnel idles past
     * {@code timeout.tunnel-idle}. Client bytes that came right after the handshake go to the origin first.
     */
    private void openTunnel(final ConnectionSlot slot, final int headEnd) {
        final RequestHalf request = slot.request;
        final ResponseHalf response = slot.response;
        if (!holdsRequest[slot.index] || request.state != ConnectionState.SENT) {
            originFailed(slot, 502);
            return;
        }
        final int start = headRewriter.rewrite(upstreamStore, response.base, ResponseHeadRewriter.HEAD_ROOM,
            response.head.headLength(), ResponseHeadRewriter.CONNECTION_UPGRADE, false);
        if (start == ResponseHeadRewriter.TOO_MANY_TOKENS) {
            originFailed(slot, 502);
            return;
        }
        request.tunnel = true;
        request.keepAlive = false;
        request.closeMode = ConnectionSlot.CLOSE_LINGER;
        response.closeMode = ConnectionSlot.CLOSE_LINGER;
        response.headParsed = true;
        response.start = start;
        response.framer.begin(BodyFramer.UNTIL_CLOSE, 0);
        request.framer.begin(BodyFramer.UNTIL_CLOSE, 0);
        if (request.filled > request.bodyEnd) {
            framePart(slot, request.bodyEnd);
            moveRequest(slot, ConnectionState.SENDING);
            writeRequest(slot);
        } else {
            moveRequest(slot, ConnectionState.READING_BODY);
        }
        if (slot.origin != null) {
            frameResponse(slot, headEnd);
        }
    }

    /** A tunnel ends cleanly (a side closed, or it idled): both sides are closed, neither is reset. */
    private void closeTunnel(final ConnectionSlot slot) {
        dropOrigin(slot);
        slot.exchangeFailed = true;
        final int index = slot.index;
        if (holdsResponse[index]) {
            slot.response.closeMode = ConnectionSlot.CLOSE_LINGER;
        }
        if (!holdsRequest[index]) {
            Wiring.wakeClientReader(slot);
        }
        if (holdsRequest[index]) {
            endRequest(slot);
        }
        if (holdsResponse[index]) {
            endResponse(slot);
        }
    }

    /** Hand an interim head, rebuilt, to the write stage; the bytes after it wait in {@code carry}. */
    private void relayInterimHead(final ConnectionSlot slot, final int headEnd) {
        final ResponseHalf response = slot.response;
        final int start = headRewriter.rewrite(upstreamStore, response.base, ResponseHeadRewriter.HEAD_ROOM,
            headEnd - ResponseHeadRewriter.HEAD_ROOM, ResponseHeadRewriter.CONNECTION_NONE, false);
        if (start == ResponseHeadRewriter.TOO_MANY_TOKENS) {
            originFailed(slot, 502);
            return;
        }
        response.end = headEnd;
        response.started = true;
        response.buffer.limit(headEnd).position(start);
        moveResponse(slot, ConnectionState.WRITING);
    }

    /** Move the bytes after {@code from} (the next head) to the head's place at the start of the block. */
    private void carryOver(final ConnectionSlot slot, final int from) {
        final ResponseHalf response = slot.response;
        if (response.carry > 0) {
            upstreamStore.move(response.base + from, response.base + ResponseHeadRewriter.HEAD_ROOM, response.carry);
        }
        response.filled = ResponseHeadRewriter.HEAD_ROOM + response.carry;
        response.carry = 0;
    }

    /**
     * Frame what was read, and when that leaves the response incomplete with room left in the block, read the
     * origin once more before handing the block on: a 16 KiB response often arrives in two segments, and each
     * hand-off costs a write-stage turn and a ring round trip.
     */
    private void frameResponse(final ConnectionSlot slot, final int from) {
        final ResponseHalf response = slot.response;
        int next = from;
        for (int extraReads = 1; ; extraReads--) {
            final int end = response.framer.frame(upstreamStore, response.base, next, response.filled);
            if (end == BodyFramer.MALFORMED) {
                originFailed(slot, 502);
                return;
            }
            final int filled = response.filled;
            if (response.framer.isComplete() || extraReads == 0 || end != filled || filled == responseBlockLength) {
                handOffPart(slot, end);
                return;
            }
            final int n;
            try {
                n = slot.origin.channel.read(response.buffer);
            } catch (final IOException ex) {
                originFailed(slot, 502);
                return;
            }
            if (n <= 0) {
                // Nothing more yet, or the origin's end, which the next read meets again.
                handOffPart(slot, end);
                return;
            }
            response.filled += n;
            next = filled;
        }
    }

    private void handOffPart(final ConnectionSlot slot, final int end) {
        final ResponseHalf response = slot.response;
        if (response.framer.isComplete()) {
            onResponseRead(slot, end);
        } else if (end == 0) {
            // Nothing to write yet: the bytes read were chunk framing alone, which the decoder has consumed (an
            // HTTP/1.0 client), so the next read starts the block afresh rather than decode them a second time.
            response.filled = 0;
            return;
        }
        response.end = end;
        response.started = true;
        response.buffer.limit(end).position(response.start);
        response.start = 0;
        // A grown send buffer has room again for parts written through, whatever the planned one did.
        if (writeThrough && (!sendBufferBound[slot.index] || slot.sendBufferGrown)) {
            writeThrough(slot);
        } else {
            moveResponse(slot, ConnectionState.WRITING);
        }
    }

    /**
     * Write the part to the client from here, without blocking: taken whole, the next part is read at once (or
     * the response ends) with no hand-off; taken in part, the write stage waits for the client to take the rest.
     */
    private void writeThrough(final ConnectionSlot slot) {
        final ResponseHalf response = slot.response;
        final int written = ResponsePartWriter.write(slot);
        if (written == ResponsePartWriter.PENDING) {
            sendBufferBound[slot.index] = true;
            moveResponse(slot, ConnectionState.WRITING);
            return;
        }
        if (written == ResponsePartWriter.FAILED) {
            onClientFailedWritingThrough(slot);
            return;
        }
        if (response.last) {
            if (slot.sendBufferGrown) {
                // The write stage shrinks the buffer, waits for the queue to fit the plan, and counts it then.
                moveResponse(slot, ConnectionState.DRAINING);
                return;
            }
            counters.increment(StageCounters.RESPONSES);
            endResponse(slot);
            return;
        }
        response.filled = 0;
        readAgain = true;
    }

    /**
     * The client failed on a part written through. With the response still coming the origin connection is
     * dropped and the client reset, as when it fails at the write stage; after the last part the origin
     * connection is already back in the pool and only the client is reset.
     */
    private void onClientFailedWritingThrough(final ConnectionSlot slot) {
        if (!slot.response.last) {
            onClientFailedMidResponse(slot);
            return;
        }
        counters.increment(StageCounters.ERRORS);
        slot.response.closeMode = ConnectionSlot.CLOSE_RESET;
        Wiring.wakeClientReader(slot);
        endResponse(slot);
    }

    /**
     * The whole response has been read. With the whole request sent, the origin connection goes back to the
     * pool when it is reusable; with part of the upload unsent (an early answer such as 413), the rest is not
     * forwarded, the connection is dropped, and the client connection closes after a lingering read.
     */
    private void onResponseRead(final ConnectionSlot slot, final int end) {
        final ResponseHalf response = slot.response;
        response.last = true;
        final boolean requestSent = holdsRequest[slot.index] && slot.request.state == ConnectionState.SENT;
        if (response.framer.mode() == BodyFramer.UNTIL_CLOSE) {
            // The client learns where the body ends only from the close.
            response.closeMode = ConnectionSlot.CLOSE_LINGER;
        }
        if (requestSent) {
            final boolean reusable = end == response.filled && response.head.isReusable()
                && response.framer.mode() != BodyFramer.UNTIL_CLOSE;
            releaseOrDrop(slot, reusable);
            endRequest(slot);
            return;
        }
        slot.exchangeFailed = true;
        dropOrigin(slot);
        if (slot.request.tunnel) {
            // The origin closed the tunnel: close the client too, waking the parse stage's wait for its bytes.
            response.closeMode = ConnectionSlot.CLOSE_LINGER;
            if (!holdsRequest[slot.index]) {
                Wiring.wakeClientReader(slot);
            }
        } else {
            response.closeMode = ConnectionSlot.CLOSE_LINGER;
        }
        if (holdsRequest[slot.index]) {
            endRequest(slot);
        }
    }

    /** The origin closed its side: the end of a close-delimited body, or a failure. */
    private void onOriginEnd(final ConnectionSlot slot, final boolean endCompletes) {
        final ResponseHalf response = slot.response;
        // With the upload unfinished the end may stand for a reset that another call on the socket took (Linux
        // reports it once): only a tunnel's end, or one after the whole request went out, completes the body.
        final boolean requestWhole = slot.request.tunnel
            || holdsRequest[slot.index] && slot.request.state == ConnectionState.SENT;
        if (endCompletes && requestWhole && response.headParsed && response.framer.mode() == BodyFramer.UNTIL_CLOSE) {
            response.framer.onSenderClosed();
            handOffPart(slot, response.filled);
            return;
        }
        originFailed(slot, 502);
    }

    // ---- failures and answers

    /**
     * The origin failed (502) or timed out (504). A reused connection that fails before any response byte
     * was most likely closed by the origin while idle: an idempotent request still whole in the parse block is
     * sent once more on a fresh connection, and the server is not blamed. Any other failure counts against the
     * server (toward its ejection); an idempotent request that could not connect at all is sent once more to
     * another available server of its group when the group allows. Otherwise: a canned answer when nothing
     * reached the client yet, else a reset, so a truncated response is never passed off as complete.
     */
    private void originFailed(final ConnectionSlot slot, final int status) {
        counters.increment(StageCounters.ERRORS);
        final UpstreamConnection failed = slot.origin;
        final RequestHalf request = slot.request;
        final ResponseHalf response = slot.response;
        final int index = slot.index;
        final boolean whole = request.replayable && isIdempotent(request.head.method()) && holdsRequest[index]
            && holdsResponse[index] && !response.started;
        // A reused connection failing before any response byte was most likely closed by the origin while idle:
        // not the server's fault, so not counted toward its ejection, and an idempotent request is sent again.
        final boolean closedIdle = status == 502 && failed != null && failed.requestsOnSocket > 1 && !response.started
            && response.filled <= ResponseHeadRewriter.HEAD_ROOM && !response.headParsed;
        final boolean retry = whole && closedIdle && !request.retried;
        final int server = failed == null ? -1 : failed.server;
        boolean elsewhere = false;
        if (server >= 0 && !closedIdle) {
            final UpstreamGroup group = upstreams.group(groupOf[index]);
            group.onFailure(servers[server], thread, nowNs);
            // Nothing was sent: the connect itself failed (refused at once, refused later, or timed out).
            final boolean connectFailed = request.state == ConnectionState.QUEUED
                || request.state == ConnectionState.CONNECTING;
            elsewhere = whole && connectFailed && group.retry() && excludedServer[index] < 0
                && hasOtherAvailable(group, server);
        }
        dropOrigin(slot);
        if (retry || elsewhere) {
            counters.increment(StageCounters.RETRIES);
            servers[server].onRetry(thread);
            if (retry) {
                request.retried = true;
            } else {
                excludedServer[index] = server;
            }
            if (response.state == ConnectionState.RECEIVING) {
                moveResponse(slot, ConnectionState.IDLE);
                // An idle half has no owner of its own: it goes with the request half, which is still here, so a
                // failure of the retry itself is answered (and the half ended) by this stage.
                holdsResponse[index] = true;
            }
            if (request.state != ConnectionState.QUEUED) {
                moveRequest(slot, ConnectionState.QUEUED);
            }
            forward(slot);
            return;
        }
        slot.exchangeFailed = true;
        if (!response.started && holdsResponse[slot.index]) {
            response.cannedStatus = status;
            response.closeMode = ConnectionSlot.CLOSE_LINGER;
            if (holdsRequest[slot.index]) {
                endRequest(slot);
            }
            moveResponse(slot, ConnectionState.CANNED);
            return;
        }
        counters.increment(StageCounters.RESETS);
        if (holdsResponse[slot.index]) {
            // Away at the write stage, the half comes back here and is reset then (onPartWritten).
            response.closeMode = ConnectionSlot.CLOSE_RESET;
        }
        if (!holdsRequest[slot.index]) {
            Wiring.wakeClientReader(slot);
        }
        if (holdsRequest[slot.index]) {
            endRequest(slot);
        }
        if (holdsResponse[slot.index]) {
            endResponse(slot);
        }
    }

    /** Answer before anything was forwarded (queue timeout, head too large, malformed body framing). */
    private void answerEarly(final ConnectionSlot slot, final int status) {
        counters.increment(StageCounters.ERROR_RESPONSES);
        dropOrigin(slot);
        slot.exchangeFailed = true;
        slot.response.cannedStatus = status;
        slot.request.closeMode = ConnectionSlot.CLOSE_LINGER;
        endRequest(slot);
        moveResponse(slot, ConnectionState.CANNED);
    }

    private boolean hasOtherAvailable(final UpstreamGroup group, final int failed) {
        for (int i = 0; i < group.size(); i++) {
            final UpstreamServer other = group.server(i);
            if (other.index() != failed && other.isAvailable(nowNs)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isIdempotent(final int method) {
        return method == RequestHead.GET || method == RequestHead.HEAD || method == RequestHead.PUT
            || method == RequestHead.DELETE || method == RequestHead.OPTIONS;
    }

    // ---- the origin connection

    /** Keep the connection for the next request when it is clean, else close it; either way the slot lets go. */
    private void releaseOrDrop(final ConnectionSlot slot, final boolean reusable) {
        final UpstreamConnection connection = slot.origin;
        if (connection == null) {
            return;
        }
        slot.origin = null;
        timers.cancel(slot.index);
        if (reusable) {
            connection.park();
        }
        pool.release(connection);
    }

    /** Close the slot's origin connection (its state is unknown mid-exchange) and return it to the pool. */
    private void dropOrigin(final ConnectionSlot slot) {
        releaseOrDrop(slot, false);
    }

    /**
     * Match the origin socket's interest and deadline to what the exchange now waits for: OP_WRITE while a
     * request part is pending, OP_READ while the response half is here; the inactivity deadline runs while the
     * exchange waits on the origin and not on the client.
     */
    private void settle(final ConnectionSlot slot) {
        final UpstreamConnection connection = slot.origin;
        final int index = slot.index;
        if (connection == null) {
            if (!holdsRequest[index] || slot.request.state != ConnectionState.QUEUED) {
                timers.cancel(index);
            }
            return;
        }
        if (connection.state != UpstreamConnection.ATTACHED) {
            return;
        }
        final boolean sending = holdsRequest[index] && slot.request.state == ConnectionState.SENDING;
        final boolean receiving = holdsResponse[index] && slot.response.state == ConnectionState.RECEIVING;
        connection.interest((sending ? SelectionKey.OP_WRITE : 0) | (receiving ? SelectionKey.OP_READ : 0));
        if (receiving || sending && holdsResponse[index]) {
            if (slot.request.tunnel) {
                deadline(index, tunnelIdleTimeoutNs, TimeoutKind.TUNNEL_IDLE);
            } else {
                deadline(index, responseTimeoutNs, TimeoutKind.UPSTREAM_RESPONSE);
            }
        } else {
            timers.cancel(index);
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
            pool.onIdleClosed(connection);
        }
    }

    @Override
    void onFailure(final int index, final Throwable cause) {
        final ConnectionSlot slot = wiring.slots.slot(index);
        if (!holdsRequest[index] && !holdsResponse[index]) {
            return;
        }
        dropOrigin(slot);
        pool.dequeue(index);
        slot.exchangeFailed = true;
        final boolean answerable = holdsResponse[index] && !slot.response.started
            && slot.response.state != ConnectionState.CANNED;
        if (holdsResponse[index]) {
            slot.response.closeMode = answerable ? ConnectionSlot.CLOSE_LINGER : ConnectionSlot.CLOSE_RESET;
        }
        if (!answerable && !holdsRequest[index]) {
            Wiring.wakeClientReader(slot);
        }
        if (holdsRequest[index]) {
            endRequest(slot);
        }
        if (answerable) {
            slot.response.cannedStatus = 502;
            moveResponse(slot, ConnectionState.CANNED);
        } else if (holdsResponse[index]) {
            endResponse(slot);
        }
    }

    @Override
    public void onClose() {
        if (healthChecker != null) {
            healthChecker.close();
        }
        for (int i = 0; i < pool.size(); i++) {
            pool.connection(i).close();
        }
        super.onClose();
    }
}
