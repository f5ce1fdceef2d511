package dev.weir.bench.http;

/**
 * One parsed HTTP/1.1 request or response head, as offsets into the caller's buffer; reused for every message.
 * <pre>
 *   start                                                         end
 *   |GET /bytes/128 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n|
 *    ^method ^target            ^ headers ...                        ^ body starts here
 * </pre>
 * For a response, {@link #status()} is set instead of method and target.
 * <p>
 * <b>Note:</b> not thread-safe; one instance per connection, overwritten by each {@link HttpScan} call.
 */
public final class HttpHead {

    /** Method not one of the seven known ones. */
    public static final int METHOD_UNKNOWN = 0;
    /** {@code GET}. */
    public static final int METHOD_GET = 1;
    /** {@code HEAD}. */
    public static final int METHOD_HEAD = 2;
    /** {@code POST}. */
    public static final int METHOD_POST = 3;
    /** {@code PUT}. */
    public static final int METHOD_PUT = 4;
    /** {@code DELETE}. */
    public static final int METHOD_DELETE = 5;
    /** {@code OPTIONS}. */
    public static final int METHOD_OPTIONS = 6;
    /** {@code PATCH}. */
    public static final int METHOD_PATCH = 7;

    int start;
    int end;
    int method;
    int targetStart;
    int targetEnd;
    int status;
    boolean http10;
    long contentLength;
    boolean chunked;
    boolean connectionClose;
    boolean connectionKeepAlive;

    void reset(final int headStart) {
        start = headStart;
        end = headStart;
        method = METHOD_UNKNOWN;
        targetStart = headStart;
        targetEnd = headStart;
        status = 0;
        http10 = false;
        contentLength = -1;
        chunked = false;
        connectionClose = false;
        connectionKeepAlive = false;
    }

    /** @return index of the head's first byte. */
    public int start() {
        return start;
    }

    /** @return index after the blank line that ends the head: where the body starts. */
    public int end() {
        return end;
    }

    /** @return one of the {@code METHOD_*} codes (requests only). */
    public int method() {
        return method;
    }

    /** @return index of the request target's first byte (requests only). */
    public int targetStart() {
        return targetStart;
    }

    /** @return index after the request target's last byte, or before its {@code ?} (requests only). */
    public int pathEnd() {
        return targetEnd;
    }

    /** @return the status code (responses only). */
    public int status() {
        return status;
    }

    /** @return whether the version is HTTP/1.0. */
    public boolean http10() {
        return http10;
    }

    /** @return the Content-Length value, or -1 when absent. */
    public long contentLength() {
        return contentLength;
    }

    /** @return whether Transfer-Encoding ends in {@code chunked}. */
    public boolean chunked() {
        return chunked;
    }

    /** @return whether the connection persists after this message (version default and Connection header). */
    public boolean keepAlive() {
        return !connectionClose && (!http10 || connectionKeepAlive);
    }

    /**
     * @param name a {@code METHOD_*} code.
     * @return its name, for logs.
     */
    public static String methodName(final int name) {
        switch (name) {
            case METHOD_GET:
                return "GET";
            case METHOD_HEAD:
                return "HEAD";
            case METHOD_POST:
                return "POST";
            case METHOD_PUT:
                return "PUT";
            case METHOD_DELETE:
                return "DELETE";
            case METHOD_OPTIONS:
                return "OPTIONS";
            case METHOD_PATCH:
                return "PATCH";
            default:
                return "UNKNOWN";
        }
    }
}
