package dev.weir.bench.origin;

import dev.weir.bench.http.Ascii;
import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.http.ChunkedDecoder;
import dev.weir.bench.http.HttpHead;
import dev.weir.bench.http.HttpScan;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * One client connection of the demo origin: a state machine over a fixed input and output buffer.
 * <pre>
 *   HEAD --parsed--&gt; BODY --consumed--&gt; RESPOND --written--&gt; HEAD (keep-alive) | CLOSING --&gt; CLOSED
 *                        \--/delay/MS--&gt; DELAY --timer--&gt; RESPOND
 *   RESPOND --101 to GET /ws--&gt; WS_FRAME --frame head--&gt; WS_PAYLOAD --payload echoed--&gt; WS_FRAME
 *                                 \--protocol error: close 1002--&gt; CLOSING &lt;--close frame echoed--/
 * </pre>
 * Requests are answered strictly in order, one at a time, so pipelined requests are safe: the next head is
 * parsed only after the previous response is queued. Output is flushed when the buffer fills or when more
 * input is needed, so pipelined responses share one write. A client that does not read stops its own
 * reading (back-pressure): nothing grows.
 * <p>
 * After a WebSocket handshake the connection echoes frame by frame: each client frame's head is answered with
 * an unmasked head of the same FIN, opcode (ping becomes pong) and length, then the payload streams from the
 * input buffer to the output buffer, unmasked on the way, so a frame of any length passes through both buffers.
 * <p>
 * <b>Note:</b> confined to its worker's thread; reused for many connections.
 */
final class OriginConnection {

    static final int DEFAULT_IN_BYTES = 64 * 1024;
    static final int DEFAULT_OUT_BYTES = 64 * 1024;
    static final int DEFAULT_MAX_HEAD_BYTES = 16 * 1024;
    static final int DEFAULT_MAX_CHUNK_BYTES = 16 * 1024;
    static final long DEFAULT_MAX_DELAY_MS = 60_000;
    private static final int HEAD_ROOM_BYTES = 512;
    private static final int CHUNK_FRAMING_BYTES = 20;

    static final int PHASE_HEAD = 0;
    static final int PHASE_BODY = 1;
    static final int PHASE_DELAY = 2;
    static final int PHASE_RESPOND = 3;
    static final int PHASE_CLOSING = 4;
    static final int PHASE_CLOSED = 5;
    static final int PHASE_WS_FRAME = 6;
    static final int PHASE_WS_PAYLOAD = 7;

    private static final int FRAMING_NONE = 0;
    private static final int FRAMING_LENGTH = 1;
    private static final int FRAMING_CHUNKED = 2;

    private static final int SINK_DISCARD = 0;
    private static final int SINK_ECHO = 1;
    private static final int SINK_ECHO_CHUNKED = 2;
    private static final int SINK_SHA256 = 3;
    private static final int SINK_CRC32 = 4;

    private static final int ROUTE_ROOT = 0;
    private static final int ROUTE_ECHO = 1;
    private static final int ROUTE_SHA256 = 2;
    private static final int ROUTE_CRC32 = 3;
    private static final int ROUTE_HEADERS = 4;
    private static final int ROUTE_BYTES = 5;
    private static final int ROUTE_CHUNKED = 6;
    private static final int ROUTE_DELAY = 7;
    private static final int ROUTE_CLOSE_MID_BODY = 8;
    private static final int ROUTE_GARBAGE = 9;
    private static final int ROUTE_NOT_FOUND = 10;
    private static final int ROUTE_BAD_REQUEST = 11;
    private static final int ROUTE_NOT_IMPLEMENTED = 12;
    private static final int ROUTE_HEAD_TOO_LARGE = 13;
    private static final int ROUTE_WEBSOCKET = 14;
    private static final int ROUTE_WEBSOCKET_REJECTED = 15;

    private static final int GEN_NONE = 0;
    private static final int GEN_BYTES = 1;
    private static final int GEN_PATTERN = 2;
    private static final int GEN_PATTERN_CHUNKED = 3;

    private static final byte[] PATH_ROOT = ascii("/");
    private static final byte[] PATH_ECHO = ascii("/echo");
    private static final byte[] PATH_SHA256 = ascii("/sha256");
    private static final byte[] PATH_CRC32 = ascii("/crc32");
    private static final byte[] PATH_HEADERS = ascii("/headers");
    private static final byte[] PATH_GARBAGE = ascii("/garbage");
    private static final byte[] PATH_CLOSE = ascii("/close");
    private static final byte[] PATH_WEBSOCKET = ascii("/ws");
    private static final byte[] PREFIX_BYTES = ascii("/bytes/");
    private static final byte[] PREFIX_CHUNKED = ascii("/chunked/");
    private static final byte[] PREFIX_DELAY = ascii("/delay/");
    private static final byte[] PREFIX_CLOSE_MID_BODY = ascii("/close-mid-body/");

    private static final byte[] STATUS_101 = ascii("HTTP/1.1 101 Switching Protocols\r\n");
    private static final byte[] STATUS_200 = ascii("HTTP/1.1 200 OK\r\n");
    private static final byte[] STATUS_400 = ascii("HTTP/1.1 400 Bad Request\r\n");
    private static final byte[] STATUS_404 = ascii("HTTP/1.1 404 Not Found\r\n");
    private static final byte[] STATUS_431 = ascii("HTTP/1.1 431 Request Header Fields Too Large\r\n");
    private static final byte[] STATUS_501 = ascii("HTTP/1.1 501 Not Implemented\r\n");
    private static final byte[] SERVER = ascii("Server: weir-demo-origin\r\n");
    private static final byte[] CONTENT_LENGTH = ascii("Content-Length: ");
    private static final byte[] TRANSFER_CHUNKED = ascii("Transfer-Encoding: chunked\r\n");
    private static final byte[] TYPE_TEXT = ascii("Content-Type: text/plain\r\n");
    private static final byte[] TYPE_OCTETS = ascii("Content-Type: application/octet-stream\r\n");
    private static final byte[] CONNECTION_CLOSE = ascii("Connection: close\r\n");
    private static final byte[] UPGRADE_WEBSOCKET = ascii("Upgrade: websocket\r\nConnection: Upgrade\r\n");
    private static final byte[] WEBSOCKET_ACCEPT = ascii("Sec-WebSocket-Accept: ");
    private static final byte[] WEBSOCKET_VERSION = ascii("Sec-WebSocket-Version: 13\r\n");
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] LAST_CHUNK = ascii("0\r\n\r\n");

    private static final byte[] BODY_ROOT = ascii(DemoOrigin.ROOT_BODY);
    private static final byte[] BODY_404 = ascii("not found\n");
    private static final byte[] BODY_400 = ascii("bad request\n");
    private static final byte[] BODY_431 = ascii("request head too large\n");
    private static final byte[] BODY_501 = ascii("method not implemented\n");
    private static final byte[] GARBAGE = ascii(DemoOrigin.GARBAGE);
    private static final byte[] LENGTH_EQUALS = ascii("length=");
    private static final byte[] SHA256_EQUALS = ascii(" sha256=");
    private static final byte[] CRC32_EQUALS = ascii(" crc32=");
    private static final byte[] NEWLINE = ascii("\n");

    private final OriginWorker worker;
    private final byte[] in = new byte[DEFAULT_IN_BYTES];
    private final ByteBuffer inBuffer = ByteBuffer.wrap(in);
    private final byte[] out = new byte[DEFAULT_OUT_BYTES];
    private final ByteBuffer outBuffer = ByteBuffer.wrap(out);
    private final byte[] scratch = new byte[DEFAULT_IN_BYTES];
    private final byte[] digestBytes = new byte[32];
    private final HttpHead head = new HttpHead();
    private final ChunkedDecoder decoder = new ChunkedDecoder();
    private final CRC32 crc32 = new CRC32();
    private final MessageDigest sha256;
    private final WebSocketHandshake handshake = new WebSocketHandshake();
    private final WebSocketFrame frame = new WebSocketFrame();

    private SocketChannel channel;
    private SelectionKey key;
    private int interest;
    private int inStart;
    private int inEnd;
    private int outStart;
    private int outEnd;

    private int phase;
    private int route;
    private long routeArg;
    private boolean headOnly;
    private boolean keepAlive;
    private boolean headPending;
    private int framing;
    private long bodyRemaining;
    private long bodyBytes;
    private int sink;
    private int scratchLength;
    private long deadlineNs;

    private int gen;
    private byte[] genSource;
    private int genPos;
    private int genEnd;
    private long genOffset;
    private long genRemaining;
    private boolean closeAfterResponse;

    private boolean wsInMessage;
    private long wsPayloadOffset;

    OriginConnection(final OriginWorker worker) {
        this.worker = worker;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    void open(final SocketChannel newChannel, final SelectionKey newKey) {
        channel = newChannel;
        key = newKey;
        interest = SelectionKey.OP_READ;
        inStart = 0;
        inEnd = 0;
        outStart = 0;
        outEnd = 0;
        phase = PHASE_HEAD;
        gen = GEN_NONE;
        closeAfterResponse = false;
    }

    long deadlineNs() {
        return deadlineNs;
    }

    void onTimer() {
        if (phase == PHASE_DELAY) {
            phase = PHASE_RESPOND;
            headPending = true;
            drive();
        }
    }

    /** Makes as much progress as the socket allows, then sets the interest it waits for. */
    void drive() {
        try {
            boolean progress = true;
            while (progress) {
                switch (phase) {
                    case PHASE_HEAD:
                        progress = stepHead();
                        break;
                    case PHASE_BODY:
                        progress = stepBody();
                        break;
                    case PHASE_RESPOND:
                        progress = stepRespond();
                        break;
                    case PHASE_WS_FRAME:
                        progress = stepWebSocketFrame();
                        break;
                    case PHASE_WS_PAYLOAD:
                        progress = stepWebSocketPayload();
                        break;
                    case PHASE_DELAY:
                        want(flush() ? 0 : SelectionKey.OP_WRITE);
                        progress = false;
                        break;
                    case PHASE_CLOSING:
                        if (flush()) {
                            close();
                        } else {
                            want(SelectionKey.OP_WRITE);
                        }
                        progress = false;
                        break;
                    default:
                        progress = false;
                        break;
                }
            }
        } catch (final IOException e) {
            close();
        }
    }

    void close() {
        if (phase == PHASE_CLOSED) {
            return;
        }
        phase = PHASE_CLOSED;
        worker.cancel(this);
        key.cancel();
        try {
            channel.close();
        } catch (final IOException e) {
            // The peer is gone either way.
        }
        channel = null;
        key = null;
        worker.release(this);
    }

    private boolean stepHead() throws IOException {
        if (inStart == inEnd) {
            inStart = 0;
            inEnd = 0;
        }
        final int bodyStart = HttpScan.parseRequest(in, inStart, inEnd, head);
        if (bodyStart == HttpScan.NEED_MORE) {
            if (inEnd - inStart >= DEFAULT_MAX_HEAD_BYTES) {
                answerError(ROUTE_HEAD_TOO_LARGE);
                return true;
            }
            return readMore();
        }
        if (bodyStart == HttpScan.BAD) {
            answerError(ROUTE_BAD_REQUEST);
            return true;
        }
        inStart = bodyStart;
        route();
        return true;
    }

    private void route() {
        headOnly = head.method() == HttpHead.METHOD_HEAD;
        keepAlive = head.keepAlive();
        closeAfterResponse = false;
        headPending = true;
        bodyBytes = 0;
        sink = SINK_DISCARD;
        decoder.reset();
        framing = head.chunked() ? FRAMING_CHUNKED : head.contentLength() > 0 ? FRAMING_LENGTH : FRAMING_NONE;
        bodyRemaining = head.contentLength();
        if (head.method() == HttpHead.METHOD_UNKNOWN) {
            answerError(ROUTE_NOT_IMPLEMENTED);
            return;
        }
        final int ps = head.targetStart();
        final int pe = head.pathEnd();
        route = ROUTE_NOT_FOUND;
        if (exact(ps, pe, PATH_ROOT)) {
            route = ROUTE_ROOT;
        } else if (exact(ps, pe, PATH_ECHO)) {
            route = ROUTE_ECHO;
            sink = headOnly ? SINK_DISCARD : framing == FRAMING_CHUNKED ? SINK_ECHO_CHUNKED : SINK_ECHO;
        } else if (exact(ps, pe, PATH_SHA256)) {
            route = ROUTE_SHA256;
            sink = SINK_SHA256;
            sha256.reset();
        } else if (exact(ps, pe, PATH_CRC32)) {
            route = ROUTE_CRC32;
            sink = SINK_CRC32;
            crc32.reset();
        } else if (exact(ps, pe, PATH_HEADERS)) {
            route = ROUTE_HEADERS;
            scratchLength = head.end() - head.start();
            System.arraycopy(in, head.start(), scratch, 0, scratchLength);
        } else if (exact(ps, pe, PATH_GARBAGE)) {
            route = ROUTE_GARBAGE;
        } else if (exact(ps, pe, PATH_WEBSOCKET)) {
            // A handshake carries no body; with one, where the first frame starts would be a guess.
            if (framing != FRAMING_NONE || !handshake.tryAccept(in, head)) {
                answerError(ROUTE_WEBSOCKET_REJECTED);
                return;
            }
            route = ROUTE_WEBSOCKET;
        } else if (exact(ps, pe, PATH_CLOSE)) {
            // Closes without answering; responses queued for earlier pipelined requests still go out.
            phase = PHASE_CLOSING;
            return;
        } else if (Ascii.startsWith(in, ps, pe, PREFIX_BYTES)) {
            route = numbered(ROUTE_BYTES, ps + PREFIX_BYTES.length, pe);
        } else if (Ascii.startsWith(in, ps, pe, PREFIX_CHUNKED)) {
            route = numbered(ROUTE_CHUNKED, ps + PREFIX_CHUNKED.length, pe);
        } else if (Ascii.startsWith(in, ps, pe, PREFIX_DELAY)) {
            route = numbered(ROUTE_DELAY, ps + PREFIX_DELAY.length, pe);
            routeArg = Math.min(routeArg, DEFAULT_MAX_DELAY_MS);
        } else if (Ascii.startsWith(in, ps, pe, PREFIX_CLOSE_MID_BODY)) {
            route = numbered(ROUTE_CLOSE_MID_BODY, ps + PREFIX_CLOSE_MID_BODY.length, pe);
        }
        if (route == ROUTE_BAD_REQUEST) {
            answerError(ROUTE_BAD_REQUEST);
            return;
        }
        phase = PHASE_BODY;
    }

    private int numbered(final int numberedRoute, final int start, final int end) {
        routeArg = Ascii.parseDecimal(in, start, end);
        return routeArg < 0 ? ROUTE_BAD_REQUEST : numberedRoute;
    }

    private boolean exact(final int start, final int end, final byte[] path) {
        return end - start == path.length && Ascii.startsWith(in, start, end, path);
    }

    private void answerError(final int errorRoute) {
        // The request's framing is unknown or untrusted: answer and close rather than guess where it ends.
        route = errorRoute;
        keepAlive = false;
        headOnly = false;
        headPending = true;
        phase = PHASE_RESPOND;
    }

    private boolean stepBody() throws IOException {
        if (headPending && (sink == SINK_ECHO || sink == SINK_ECHO_CHUNKED)) {
            if (!ensureRoom(HEAD_ROOM_BYTES)) {
                return false;
            }
            final long length = framing == FRAMING_CHUNKED ? -1 : Math.max(0, head.contentLength());
            writeHead(STATUS_200, length, TYPE_OCTETS);
            headPending = false;
        }
        if (framing == FRAMING_NONE) {
            finishBody();
            return true;
        }
        if (inStart == inEnd) {
            return readMore();
        }
        final int room = sinkRoom();
        if (room <= 0) {
            return flushOrWait();
        }
        if (framing == FRAMING_LENGTH) {
            final int n = (int) Math.min(Math.min(inEnd - inStart, bodyRemaining), room);
            deliver(inStart, n);
            inStart += n;
            bodyRemaining -= n;
            if (bodyRemaining == 0) {
                finishBody();
            }
            return true;
        }
        final int consumed = decoder.decode(in, inStart, inEnd, room);
        if (decoder.dataLength() > 0) {
            deliver(decoder.dataStart(), decoder.dataLength());
        }
        inStart += consumed;
        if (decoder.isError() && !headPending) {
            // The echo's head is already out: a truncated chunked response is the only honest answer.
            gen = GEN_NONE;
            phase = PHASE_CLOSING;
        } else if (decoder.isError()) {
            answerError(ROUTE_BAD_REQUEST);
        } else if (decoder.isDone()) {
            finishBody();
        }
        return true;
    }

    private int sinkRoom() {
        switch (sink) {
            case SINK_ECHO:
                return out.length - outEnd;
            case SINK_ECHO_CHUNKED:
                return out.length - outEnd - CHUNK_FRAMING_BYTES;
            default:
                return Integer.MAX_VALUE;
        }
    }

    private void deliver(final int start, final int length) {
        bodyBytes += length;
        switch (sink) {
            case SINK_ECHO:
                System.arraycopy(in, start, out, outEnd, length);
                outEnd += length;
                break;
            case SINK_ECHO_CHUNKED:
                outEnd = Ascii.putHex(length, out, outEnd);
                outEnd = Ascii.put(CRLF, out, outEnd);
                System.arraycopy(in, start, out, outEnd, length);
                outEnd = Ascii.put(CRLF, out, outEnd + length);
                break;
            case SINK_SHA256:
                sha256.update(in, start, length);
                break;
            case SINK_CRC32:
                crc32.update(in, start, length);
                break;
            default:
                break;
        }
    }

    private void finishBody() {
        if (route == ROUTE_ECHO && !headOnly) {
            headPending = false;
            startGenerator(sink == SINK_ECHO_CHUNKED ? GEN_BYTES : GEN_NONE, LAST_CHUNK, LAST_CHUNK.length);
            phase = PHASE_RESPOND;
        } else if (route == ROUTE_DELAY) {
            deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(routeArg);
            phase = PHASE_DELAY;
            worker.schedule(this);
        } else {
            phase = PHASE_RESPOND;
        }
    }

    private boolean stepRespond() throws IOException {
        if (headPending) {
            if (!ensureRoom(HEAD_ROOM_BYTES)) {
                return false;
            }
            headPending = false;
            startResponse();
        }
        while (gen != GEN_NONE) {
            if (out.length - outEnd <= CHUNK_FRAMING_BYTES && !flush()) {
                want(SelectionKey.OP_WRITE);
                return false;
            }
            generate();
        }
        if (route == ROUTE_WEBSOCKET) {
            // Bytes after the handshake's head are already frames: the next step reads them from inStart.
            wsInMessage = false;
            phase = PHASE_WS_FRAME;
            return true;
        }
        phase = closeAfterResponse || !keepAlive ? PHASE_CLOSING : PHASE_HEAD;
        return true;
    }

    private void startResponse() {
        switch (route) {
            case ROUTE_ROOT:
            case ROUTE_DELAY:
            case ROUTE_ECHO:
                final byte[] body = route == ROUTE_ECHO ? LAST_CHUNK : BODY_ROOT;
                final int length = route == ROUTE_ECHO ? 0 : body.length;
                respond(STATUS_200, TYPE_TEXT, body, length);
                break;
            case ROUTE_SHA256:
            case ROUTE_CRC32:
                scratchLength = digestLine();
                respond(STATUS_200, TYPE_TEXT, scratch, scratchLength);
                break;
            case ROUTE_HEADERS:
                respond(STATUS_200, TYPE_TEXT, scratch, scratchLength);
                break;
            case ROUTE_BYTES:
            case ROUTE_CLOSE_MID_BODY:
                writeHead(STATUS_200, routeArg, TYPE_OCTETS);
                startPattern(GEN_PATTERN, route == ROUTE_BYTES ? routeArg : routeArg / 2);
                closeAfterResponse = route == ROUTE_CLOSE_MID_BODY;
                break;
            case ROUTE_CHUNKED:
                writeHead(STATUS_200, -1, TYPE_OCTETS);
                startPattern(GEN_PATTERN_CHUNKED, routeArg);
                break;
            case ROUTE_GARBAGE:
                startGenerator(GEN_BYTES, GARBAGE, GARBAGE.length);
                closeAfterResponse = true;
                break;
            case ROUTE_BAD_REQUEST:
                respond(STATUS_400, TYPE_TEXT, BODY_400, BODY_400.length);
                break;
            case ROUTE_WEBSOCKET:
                writeSwitchingProtocols();
                gen = GEN_NONE;
                break;
            case ROUTE_WEBSOCKET_REJECTED:
                writeHead(STATUS_400, BODY_400.length, TYPE_TEXT);
                // RFC 6455 4.4: a refused handshake names the version spoken here, before the head's blank line.
                outEnd = Ascii.put(CRLF, out, Ascii.put(WEBSOCKET_VERSION, out, outEnd - CRLF.length));
                startGenerator(GEN_BYTES, BODY_400, BODY_400.length);
                break;
            case ROUTE_HEAD_TOO_LARGE:
                respond(STATUS_431, TYPE_TEXT, BODY_431, BODY_431.length);
                break;
            case ROUTE_NOT_IMPLEMENTED:
                respond(STATUS_501, TYPE_TEXT, BODY_501, BODY_501.length);
                break;
            default:
                respond(STATUS_404, TYPE_TEXT, BODY_404, BODY_404.length);
                break;
        }
    }

    /** Writes the 101 answer to an accepted handshake; the caller ensured the room. */
    private void writeSwitchingProtocols() {
        int p = Ascii.put(STATUS_101, out, outEnd);
        p = Ascii.put(SERVER, out, p);
        p = Ascii.put(UPGRADE_WEBSOCKET, out, p);
        p = Ascii.put(WEBSOCKET_ACCEPT, out, p);
        p = Ascii.put(handshake.accept(), out, p);
        p = Ascii.put(CRLF, out, p);
        outEnd = Ascii.put(CRLF, out, p);
    }

    /** Reads one client frame head and queues the echo's head; a broken frame fails the connection. */
    private boolean stepWebSocketFrame() throws IOException {
        if (inStart == inEnd) {
            inStart = 0;
            inEnd = 0;
        }
        final int headBytes = frame.parse(in, inStart, inEnd);
        if (headBytes == WebSocketFrame.NEED_MORE) {
            return readMore();
        }
        if (!ensureRoom(WebSocketFrame.MAX_HEAD_BYTES)) {
            return false;
        }
        if (headBytes == WebSocketFrame.PROTOCOL_ERROR || !continuesMessage()) {
            // RFC 6455 7.1.7: fail the connection; the close frame tells the client why, then the socket closes.
            outEnd = WebSocketFrame.putClose(WebSocketFrame.STATUS_PROTOCOL_ERROR, out, outEnd);
            phase = PHASE_CLOSING;
            return true;
        }
        inStart += headBytes;
        final int opcode = frame.opcode() == WebSocketFrame.OPCODE_PING ? WebSocketFrame.OPCODE_PONG : frame.opcode();
        outEnd = WebSocketFrame.putHead(frame.fin(), opcode, frame.payloadLength(), out, outEnd);
        wsPayloadOffset = 0;
        phase = PHASE_WS_PAYLOAD;
        return true;
    }

    /**
     * Tracks fragmentation: a continuation needs an open message, text or binary needs none; control frames may
     * come between fragments.
     *
     * @return whether the frame just parsed may come here.
     */
    private boolean continuesMessage() {
        final int opcode = frame.opcode();
        if (WebSocketFrame.isControl(opcode)) {
            return true;
        }
        if (wsInMessage != (opcode == WebSocketFrame.OPCODE_CONTINUATION)) {
            return false;
        }
        wsInMessage = !frame.fin();
        return true;
    }

    /** Streams the current frame's payload from input to output, unmasking it; a close frame ends the connection. */
    private boolean stepWebSocketPayload() throws IOException {
        final long remaining = frame.payloadLength() - wsPayloadOffset;
        if (remaining == 0) {
            phase = frame.opcode() == WebSocketFrame.OPCODE_CLOSE ? PHASE_CLOSING : PHASE_WS_FRAME;
            return true;
        }
        if (inStart == inEnd) {
            return readMore();
        }
        final int room = out.length - outEnd;
        if (room == 0) {
            return flushOrWait();
        }
        final int n = (int) Math.min(Math.min(inEnd - inStart, room), remaining);
        frame.unmask(in, inStart, out, outEnd, n, wsPayloadOffset);
        inStart += n;
        outEnd += n;
        wsPayloadOffset += n;
        return true;
    }

    private void respond(final byte[] status, final byte[] type, final byte[] body, final int length) {
        writeHead(status, length, type);
        startGenerator(GEN_BYTES, body, length);
    }

    private int digestLine() {
        int p = Ascii.put(LENGTH_EQUALS, scratch, 0);
        p = Ascii.putDecimal(bodyBytes, scratch, p);
        if (route == ROUTE_SHA256) {
            p = Ascii.put(SHA256_EQUALS, scratch, p);
            try {
                sha256.digest(digestBytes, 0, digestBytes.length);
            } catch (final DigestException e) {
                throw new IllegalStateException(e);
            }
            p = Ascii.putHexBytes(digestBytes, digestBytes.length, scratch, p);
        } else {
            p = Ascii.put(CRC32_EQUALS, scratch, p);
            final long value = crc32.getValue();
            for (int shift = 28; shift >= 0; shift -= 4) {
                scratch[p++] = (byte) "0123456789abcdef".charAt((int) (value >>> shift) & 0xF);
            }
        }
        return Ascii.put(NEWLINE, scratch, p);
    }

    /** Writes a response head; {@code contentLength} -1 means chunked. The caller ensured the room. */
    private void writeHead(final byte[] status, final long contentLength, final byte[] type) {
        int p = Ascii.put(status, out, outEnd);
        p = Ascii.put(SERVER, out, p);
        if (contentLength < 0) {
            p = Ascii.put(TRANSFER_CHUNKED, out, p);
        } else {
            p = Ascii.put(CONTENT_LENGTH, out, p);
            p = Ascii.putDecimal(contentLength, out, p);
            p = Ascii.put(CRLF, out, p);
        }
        p = Ascii.put(type, out, p);
        if (!keepAlive) {
            p = Ascii.put(CONNECTION_CLOSE, out, p);
        }
        outEnd = Ascii.put(CRLF, out, p);
    }

    private void startGenerator(final int kind, final byte[] source, final int length) {
        gen = headOnly ? GEN_NONE : kind;
        genSource = source;
        genPos = 0;
        genEnd = length;
    }

    private void startPattern(final int kind, final long length) {
        gen = headOnly ? GEN_NONE : kind;
        genOffset = 0;
        genRemaining = length;
    }

    /** Appends as much body as fits; the caller ensured more than {@code CHUNK_FRAMING_BYTES} of room. */
    private void generate() {
        final int room = out.length - outEnd;
        switch (gen) {
            case GEN_BYTES:
                final int n = Math.min(room, genEnd - genPos);
                System.arraycopy(genSource, genPos, out, outEnd, n);
                outEnd += n;
                genPos += n;
                if (genPos == genEnd) {
                    gen = GEN_NONE;
                }
                break;
            case GEN_PATTERN:
                final int p = (int) Math.min(room, genRemaining);
                BodyPattern.copy(genOffset, out, outEnd, p);
                outEnd += p;
                genOffset += p;
                genRemaining -= p;
                if (genRemaining == 0) {
                    gen = GEN_NONE;
                }
                break;
            case GEN_PATTERN_CHUNKED:
                if (genRemaining == 0) {
                    outEnd = Ascii.put(LAST_CHUNK, out, outEnd);
                    gen = GEN_NONE;
                    break;
                }
                final int c = (int) Math.min(Math.min(room - CHUNK_FRAMING_BYTES, genRemaining),
                    DEFAULT_MAX_CHUNK_BYTES);
                if (c <= 0) {
                    break;
                }
                outEnd = Ascii.putHex(c, out, outEnd);
                outEnd = Ascii.put(CRLF, out, outEnd);
                BodyPattern.copy(genOffset, out, outEnd, c);
                outEnd = Ascii.put(CRLF, out, outEnd + c);
                genOffset += c;
                genRemaining -= c;
                break;
            default:
                gen = GEN_NONE;
                break;
        }
    }

    /** Sends queued output, then reads; false when the socket has nothing more for now. */
    private boolean readMore() throws IOException {
        if (!flush()) {
            want(SelectionKey.OP_WRITE);
            return false;
        }
        if (inStart > 0) {
            System.arraycopy(in, inStart, in, 0, inEnd - inStart);
            inEnd -= inStart;
            inStart = 0;
        }
        inBuffer.limit(in.length).position(inEnd);
        final int n = channel.read(inBuffer);
        if (n < 0) {
            close();
            return false;
        }
        if (n == 0) {
            want(SelectionKey.OP_READ);
            return false;
        }
        inEnd += n;
        return true;
    }

    private boolean ensureRoom(final int bytes) throws IOException {
        if (out.length - outEnd >= bytes) {
            return true;
        }
        return flushOrWait() && out.length - outEnd >= bytes;
    }

    private boolean flushOrWait() throws IOException {
        if (flush()) {
            return true;
        }
        want(SelectionKey.OP_WRITE);
        return false;
    }

    /** @return whether all queued output was written. */
    private boolean flush() throws IOException {
        if (outStart == outEnd) {
            outStart = 0;
            outEnd = 0;
            return true;
        }
        outBuffer.limit(outEnd).position(outStart);
        channel.write(outBuffer);
        outStart = outBuffer.position();
        if (outStart == outEnd) {
            outStart = 0;
            outEnd = 0;
            return true;
        }
        System.arraycopy(out, outStart, out, 0, outEnd - outStart);
        outEnd -= outStart;
        outStart = 0;
        return false;
    }

    private void want(final int ops) {
        if (interest != ops && key != null) {
            key.interestOps(ops);
            interest = ops;
        }
    }

    private static byte[] ascii(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
