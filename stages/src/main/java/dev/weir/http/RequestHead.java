package dev.weir.http;

/**
 * A parsed request head as offsets and lengths into the connection's parse block: a flyweight, reused for
 * every request on the slot it belongs to.
 * <pre>
 *  0 (block start)                                                     headLength
 *  |start                                                                   |
 *  v                                                                        v
 *  GET /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello NEXT-REQ...
 *  ^method ^targetStart        ^nameStart[0] ^valueStart[0]    ...     ^ body, then pipelined bytes
 * </pre>
 * Every offset is relative to the block start. Field {@code i} spans {@code nameStart[i]} for
 * {@code nameLength[i]} bytes and {@code valueStart[i]} for {@code valueLength[i]} bytes (value without
 * surrounding white space); {@code headerId[i]} is its {@link HeaderNames} id.
 * <p>
 * <b>Note:</b> filled by the parse stage, then read by the upstream stage after the ring hand-off.
 */
public final class RequestHead {

    /** Most header fields a request may carry; more is answered with 431. */
    public static final int DEFAULT_MAX_HEADERS = 100;

    /** Method ids. */
    public static final int GET = 1;
    /** {@code HEAD}. */
    public static final int HEAD = 2;
    /** {@code POST}. */
    public static final int POST = 3;
    /** {@code PUT}. */
    public static final int PUT = 4;
    /** {@code DELETE}. */
    public static final int DELETE = 5;
    /** {@code OPTIONS}. */
    public static final int OPTIONS = 6;
    /** {@code PATCH}. */
    public static final int PATCH = 7;

    /** No {@code Content-Length} field. */
    public static final long NO_CONTENT_LENGTH = -1;

    /** Bytes scanned so far for the end of the head; lets the scan resume where it stopped. */
    int scanned;

    int start;
    int headLength;
    int method;
    int version;
    int requestLineEnd;
    int targetStart;
    int targetLength;
    int headerCount;
    final int[] nameStart;
    final int[] nameLength;
    final int[] valueStart;
    final int[] valueLength;
    final int[] headerId;
    long contentLength;
    boolean chunked;
    boolean keepAlive;
    boolean expectContinue;
    boolean upgrade;

    /** A head with room for {@link #DEFAULT_MAX_HEADERS} fields. */
    public RequestHead() {
        this(DEFAULT_MAX_HEADERS);
    }

    /** @param maxHeaders most fields a request may carry. */
    public RequestHead(final int maxHeaders) {
        nameStart = new int[maxHeaders];
        nameLength = new int[maxHeaders];
        valueStart = new int[maxHeaders];
        valueLength = new int[maxHeaders];
        headerId = new int[maxHeaders];
        reset();
    }

    /** Forget the previous request; called before parsing the next one. */
    public void reset() {
        scanned = 0;
        start = 0;
        headLength = 0;
        method = 0;
        version = 0;
        requestLineEnd = 0;
        targetStart = 0;
        targetLength = 0;
        headerCount = 0;
        contentLength = NO_CONTENT_LENGTH;
        chunked = false;
        keepAlive = false;
        expectContinue = false;
        upgrade = false;
    }

    /** @return offset of the request line (after any empty lines the client sent first). */
    public int start() {
        return start;
    }

    /** @return bytes from the block start to the end of the empty line that ends the head. */
    public int headLength() {
        return headLength;
    }

    /** @return the method id, e.g. {@link #GET}. */
    public int method() {
        return method;
    }

    /** @return 10 for HTTP/1.0, 11 for HTTP/1.1. */
    public int version() {
        return version;
    }

    /** @return offset of the CR that ends the request line. */
    public int requestLineEnd() {
        return requestLineEnd;
    }

    /** @return offset of the request target. */
    public int targetStart() {
        return targetStart;
    }

    /** @return length of the request target. */
    public int targetLength() {
        return targetLength;
    }

    /** @return number of header fields. */
    public int headerCount() {
        return headerCount;
    }

    /** @param i field index. @return offset of its name. */
    public int nameStart(final int i) {
        return nameStart[i];
    }

    /** @param i field index. @return length of its name. */
    public int nameLength(final int i) {
        return nameLength[i];
    }

    /** @param i field index. @return offset of its value. */
    public int valueStart(final int i) {
        return valueStart[i];
    }

    /** @param i field index. @return length of its value. */
    public int valueLength(final int i) {
        return valueLength[i];
    }

    /** @param i field index. @return its {@link HeaderNames} id. */
    public int headerId(final int i) {
        return headerId[i];
    }

    /** @return the body length, or {@link #NO_CONTENT_LENGTH}. */
    public long contentLength() {
        return contentLength;
    }

    /** @return {@code true} when the body is chunked. */
    public boolean isChunked() {
        return chunked;
    }

    /** @return {@code true} when the request carries a body. */
    public boolean hasBody() {
        return chunked || contentLength > 0;
    }

    /** @return {@code true} when the client keeps the connection open after this exchange. */
    public boolean isKeepAlive() {
        return keepAlive;
    }

    /** @return {@code true} when the client waits for {@code 100 Continue} before sending the body. */
    public boolean expectsContinue() {
        return expectContinue;
    }

    /**
     * @return {@code true} for a WebSocket opening handshake (RFC 6455 4.1): a GET without a body whose
     *         {@code Connection} names {@code upgrade} and whose {@code Upgrade} names {@code websocket}. Weir
     *         forwards those two fields for it, and only for it.
     */
    public boolean isUpgrade() {
        return upgrade;
    }
}
