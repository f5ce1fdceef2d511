package dev.weir.http;

/**
 * What Weir needs of an origin's response head to relay it: status, head length and body framing.
 * <p>
 * <b>Note:</b> a flyweight per slot, filled by the upstream stage.
 */
public final class ResponseHead {

    /** The body length is given by {@code Content-Length}. */
    public static final int FRAMING_LENGTH = BodyFramer.LENGTH;
    /** The body is chunked. */
    public static final int FRAMING_CHUNKED = BodyFramer.CHUNKED;
    /** The body runs until the origin closes the connection. */
    public static final int FRAMING_CLOSE = BodyFramer.UNTIL_CLOSE;
    /** There is no body (HEAD request, 1xx, 204, 304). */
    public static final int FRAMING_NONE = BodyFramer.NONE;

    int scanned;
    int status;
    int version;
    int headLength;
    long contentLength;
    boolean chunked;
    boolean closeToken;
    boolean keepAliveToken;
    int hopByHopFields;

    /** An empty head. */
    public ResponseHead() {
        reset();
    }

    /** Forget the previous response. */
    public void reset() {
        scanned = 0;
        status = 0;
        version = 0;
        headLength = 0;
        contentLength = RequestHead.NO_CONTENT_LENGTH;
        chunked = false;
        closeToken = false;
        keepAliveToken = false;
        hopByHopFields = 0;
    }

    /** @return the status code. */
    public int status() {
        return status;
    }

    /** @return bytes from the block start to the end of the head. */
    public int headLength() {
        return headLength;
    }

    /** @return the body length, or {@link RequestHead#NO_CONTENT_LENGTH}. */
    public long contentLength() {
        return contentLength;
    }

    /**
     * How the body is delimited (RFC 9112 6.3).
     *
     * @param requestMethod the request's method id: a response to HEAD has no body.
     * @return one of the {@code FRAMING_*} constants, which are {@link BodyFramer} modes.
     */
    public int framing(final int requestMethod) {
        if (requestMethod == RequestHead.HEAD || status < 200 || status == 204 || status == 304) {
            return FRAMING_NONE;
        }
        if (chunked) {
            return FRAMING_CHUNKED;
        }
        if (contentLength != RequestHead.NO_CONTENT_LENGTH) {
            return FRAMING_LENGTH;
        }
        return FRAMING_CLOSE;
    }

    /**
     * @return fields a client must not get as sent: {@code Connection} (and so whatever it names),
     *         {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Trailer}, {@code Upgrade}. When 0 and
     *         the version is 1.1, the head needs no rebuilding for a client that keeps its connection.
     */
    public int hopByHopFields() {
        return hopByHopFields;
    }

    /** @return 10 for HTTP/1.0, 11 for HTTP/1.1. */
    public int version() {
        return version;
    }

    /** @return {@code true} when the origin keeps its connection open after this response. */
    public boolean isReusable() {
        return !closeToken && (version == 11 || keepAliveToken);
    }
}
