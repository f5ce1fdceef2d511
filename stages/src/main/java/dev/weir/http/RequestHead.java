package dev.weir.http;

/**
 * A parsed request head as offsets and lengths into the connection's parse block: a flyweight, reused for
 * every request on the slot it belongs to.
 * <pre>
 *  0 (block start)                                                     headLength
 *  |start                                                                   |
 *  v                                                                        v
 *  GET /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello NEXT-REQ...
 *  ^method ^targetStart        ^nameStart(0) ^valueStart(0)    ...     ^ body, then pipelined bytes
 * </pre>
 * Every offset is relative to the block start. Field {@code i} spans {@code nameStart(i)} for
 * {@code nameLength(i)} bytes and {@code valueStart(i)} for {@code valueLength(i)} bytes (value without
 * surrounding white space); {@code headerId(i)} is its {@link HeaderNames} id, and {@code isConnectionNamed(i)}
 * says a {@code Connection} field lists its name (so it is not forwarded).
 * <p>
 * The target is kept in two views: as received ({@code targetStart}, {@code targetLength}) and as forwarded
 * ({@code pathStart}, {@code pathLength}: the origin-form part of an absolute-form target, empty for
 * {@code http://host}), and the request's host ({@code hostStart}, {@code hostLength}) is the target's
 * authority for an absolute-form target (RFC 9112 3.2.2: it wins over {@code Host}), else the {@code Host} value:
 * <pre>
 *   GET http://example.com:8080/p?q HTTP/1.1        GET /p?q HTTP/1.1
 *       ^targetStart               |                    ^targetStart = pathStart
 *              ^hostStart  ^pathStart               Host: example.com   (hostStart at the value)
 * </pre>
 * A field's numbers sit side by side in one {@code int} table, {@value #FIELD_INTS} per field, so that parsing
 * a field and forwarding it touch one or two cache lines of the slot's head, not one per number: with a
 * thousand connections each request's head is cold, and seven parallel tables cost seven cache misses for a
 * request with a single field.
 * <pre>
 *   fields: | nameStart nameLength valueStart valueLength headerId nameNext connectionNamed | field 1 ... |
 * </pre>
 * The tables are sized once from the {@link RequestPolicy}: {@code maxHeaders} rows of {@value #FIELD_INTS}
 * {@code int}s, and a hash table of the next power of two at least twice as many, read only for a request with
 * a {@code Connection} field.
 * <p>
 * <b>Note:</b> filled by the parse stage, then read by the upstream stage after the ring hand-off.
 */
public final class RequestHead {

    /** {@code int}s per field in {@link #fields}. */
    static final int FIELD_INTS = 7;
    /** Row offset: the name's offset from the block start. */
    static final int NAME_START = 0;
    /** Row offset: the name's length. */
    static final int NAME_LENGTH = 1;
    /** Row offset: the value's offset, white space around it left out. */
    static final int VALUE_START = 2;
    /** Row offset: the value's length. */
    static final int VALUE_LENGTH = 3;
    /** Row offset: the {@link HeaderNames} id. */
    static final int HEADER_ID = 4;
    /**
     * Row offset: the next field index + 1 in the same bucket of {@link #nameBuckets}, 0 for none; written by
     * {@link #linkName} when the parser links the field into a bucket, and read only through a bucket, so a row
     * not linked in this request is never read.
     */
    static final int NAME_NEXT = 5;
    /** Row offset: 1 when a {@code Connection} field lists the name, else 0. */
    static final int CONNECTION_NAMED = 6;

    /** Most header fields a request may carry by default; more is answered with 431. */
    public static final int DEFAULT_MAX_HEADERS = RequestPolicy.DEFAULT_MAX_HEADERS;

    /** Target form: {@code /path?query}. */
    public static final int ORIGIN_FORM = 0;
    /** Target form: {@code http://authority/path?query}, forwarded in origin-form. */
    public static final int ABSOLUTE_FORM = 1;
    /** Target form: {@code *}, with {@code OPTIONS} only. */
    public static final int ASTERISK_FORM = 2;

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
    /** Offset of the first LF, or -1 while it has not arrived: the end of the request line. */
    int lineFeed;
    int targetForm;
    int pathStart;
    int pathLength;
    int hostStart;
    /** Length of the request's host, or -1 when it has none (an HTTP/1.0 request without {@code Host}). */
    int hostLength;
    /** Bytes and table entries the {@code Connection} scan touched for the last request; tests bound it. */
    int connectionScanSteps;
    final RequestPolicy policy;
    /** Most fields: rows of {@link #fields}. */
    final int maxHeaders;
    /** One row of {@link #FIELD_INTS} per field, see the class comment; field i starts at {@link #row(int)}. */
    final int[] fields;
    /** Hash table of field names for the {@code Connection} scan: a field index + 1 per bucket, 0 for none. */
    final int[] nameBuckets;
    long contentLength;
    boolean chunked;
    boolean keepAlive;
    boolean expectContinue;
    boolean upgrade;

    /** A head under {@link RequestPolicy#DEFAULTS}. */
    public RequestHead() {
        this(RequestPolicy.DEFAULTS);
    }

    /** @param policy the limits and forwarding rules; sizes the field tables. Startup only. */
    public RequestHead(final RequestPolicy policy) {
        this.policy = policy;
        this.maxHeaders = policy.maxHeaders();
        fields = new int[maxHeaders * FIELD_INTS];
        nameBuckets = new int[bucketCount(maxHeaders)];
        reset();
    }

    /**
     * @param maxHeaders most fields.
     * @return buckets of the name hash table: the smallest power of two at least twice {@code maxHeaders}.
     */
    static int bucketCount(final int maxHeaders) {
        return Integer.highestOneBit(Math.max(1, 2 * maxHeaders - 1)) << 1;
    }

    /**
     * @param i field index.
     * @return where field {@code i}'s row starts in {@link #fields}.
     */
    static int row(final int i) {
        return i * FIELD_INTS;
    }

    /**
     * Record the next field in its row, written in order, so the whole field lands in one or two cache lines.
     *
     * @param nameStart   offset of its name.
     * @param nameLength  length of its name.
     * @param valueStart  offset of its value.
     * @param valueLength length of its value.
     * @param id          its {@link HeaderNames} id.
     */
    void addField(final int nameStart, final int nameLength, final int valueStart, final int valueLength,
        final int id) {
        final int row = row(headerCount);
        fields[row + NAME_START] = nameStart;
        fields[row + NAME_LENGTH] = nameLength;
        fields[row + VALUE_START] = valueStart;
        fields[row + VALUE_LENGTH] = valueLength;
        fields[row + HEADER_ID] = id;
        fields[row + CONNECTION_NAMED] = 0;
        headerCount++;
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
        lineFeed = -1;
        targetForm = ORIGIN_FORM;
        pathStart = 0;
        pathLength = 0;
        hostStart = 0;
        hostLength = -1;
        connectionScanSteps = 0;
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

    /** @return {@link #ORIGIN_FORM}, {@link #ABSOLUTE_FORM} or {@link #ASTERISK_FORM}. */
    public int targetForm() {
        return targetForm;
    }

    /** @return offset of the target as forwarded: origin-form, or {@code *}. */
    public int pathStart() {
        return pathStart;
    }

    /** @return length of the target as forwarded; 0 for an absolute-form target without path or query. */
    public int pathLength() {
        return pathLength;
    }

    /** @return offset of the request's host: the absolute-form authority, else the {@code Host} value. */
    public int hostStart() {
        return hostStart;
    }

    /** @return length of the request's host, or -1 when it has none. */
    public int hostLength() {
        return hostLength;
    }

    /** @return the rules this head was parsed under. */
    public RequestPolicy policy() {
        return policy;
    }

    /** @param i field index. @return {@code true} when a {@code Connection} field lists its name. */
    public boolean isConnectionNamed(final int i) {
        return fields[row(i) + CONNECTION_NAMED] != 0;
    }

    /** Mark field {@code i} as named by a {@code Connection} field, so it is not forwarded. */
    void markConnectionNamed(final int i) {
        fields[row(i) + CONNECTION_NAMED] = 1;
    }

    /**
     * Link field {@code i} in front of a name bucket's chain.
     *
     * @param i    field index.
     * @param next the chain's first field index + 1 before, 0 for an empty bucket.
     */
    void linkName(final int i, final int next) {
        fields[row(i) + NAME_NEXT] = next;
    }

    /** @param i a field linked by {@link #linkName}. @return the next field index + 1 in its bucket, 0 for none. */
    int nextInBucket(final int i) {
        return fields[row(i) + NAME_NEXT];
    }

    /** @return number of header fields. */
    public int headerCount() {
        return headerCount;
    }

    /** @param i field index. @return offset of its name. */
    public int nameStart(final int i) {
        return fields[row(i) + NAME_START];
    }

    /** @param i field index. @return length of its name. */
    public int nameLength(final int i) {
        return fields[row(i) + NAME_LENGTH];
    }

    /** @param i field index. @return offset of its value. */
    public int valueStart(final int i) {
        return fields[row(i) + VALUE_START];
    }

    /** @param i field index. @return length of its value. */
    public int valueLength(final int i) {
        return fields[row(i) + VALUE_LENGTH];
    }

    /** @param i field index. @return its {@link HeaderNames} id. */
    public int headerId(final int i) {
        return fields[row(i) + HEADER_ID];
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
