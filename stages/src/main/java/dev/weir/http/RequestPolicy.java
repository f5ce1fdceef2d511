package dev.weir.http;

/**
 * The request rules of one Weir process, fixed at startup: the limits the parser enforces and the forwarding
 * fields the rewriter adds. Every slot's {@link RequestHead} holds the same instance, which sizes its tables.
 * <pre>
 *   maxRequestLineBytes  longer request line        414, checked before the head has arrived whole
 *   maxHeaders           more header fields         431; sizes the head's tables
 *   maxBodyBytes         larger body, 0: no limit   413 (Content-Length at once, chunked as it streams)
 *   xForwardedProto      add X-Forwarded-Proto: http, replacing the client's
 *   xForwardedHost       add X-Forwarded-Host: the request's host, replacing the client's
 *   forwarded            append an RFC 7239 Forwarded element for=...;host=...;proto=http
 *   via                  append "1.1 weir" to Via
 * </pre>
 * <p>
 * <b>Note:</b> immutable and thread-safe.
 */
public final class RequestPolicy {

    /** Longest request line: nginx's {@code large_client_header_buffers} holds 8 KiB per line. */
    public static final int DEFAULT_MAX_REQUEST_LINE_BYTES = 8 * 1024;
    /** Most header fields a request may carry; more is answered with 431. */
    public static final int DEFAULT_MAX_HEADERS = 100;
    /** No body limit. */
    public static final long DEFAULT_MAX_BODY_BYTES = 0;
    /** X-Forwarded-Proto on: cheap, and read by most frameworks behind a proxy. */
    public static final boolean DEFAULT_X_FORWARDED_PROTO = true;
    /** X-Forwarded-Host on: read with X-Forwarded-Proto to rebuild the URL the client asked for. */
    public static final boolean DEFAULT_X_FORWARDED_HOST = true;
    /** Forwarded off: it repeats X-Forwarded-For/-Proto/-Host, which origins read far more often. */
    public static final boolean DEFAULT_FORWARDED = false;
    /** Via on: RFC 9110 7.6.3 says a gateway MUST send it in each inbound request. */
    public static final boolean DEFAULT_VIA = true;

    /** The defaults above. */
    public static final RequestPolicy DEFAULTS = new RequestPolicy(DEFAULT_MAX_REQUEST_LINE_BYTES,
        DEFAULT_MAX_HEADERS, DEFAULT_MAX_BODY_BYTES, DEFAULT_X_FORWARDED_PROTO, DEFAULT_X_FORWARDED_HOST,
        DEFAULT_FORWARDED, DEFAULT_VIA);

    private final int maxRequestLineBytes;
    private final int maxHeaders;
    private final long maxBodyBytes;
    private final boolean xForwardedProto;
    private final boolean xForwardedHost;
    private final boolean forwarded;
    private final boolean via;

    /**
     * @param maxRequestLineBytes longest request line, CRLF excluded.
     * @param maxHeaders          most header fields, at least 1.
     * @param maxBodyBytes        largest request body, 0 for no limit.
     * @param xForwardedProto     add {@code X-Forwarded-Proto}.
     * @param xForwardedHost      add {@code X-Forwarded-Host}.
     * @param forwarded           append to {@code Forwarded}.
     * @param via                 append to {@code Via}.
     */
    public RequestPolicy(final int maxRequestLineBytes, final int maxHeaders, final long maxBodyBytes,
        final boolean xForwardedProto, final boolean xForwardedHost, final boolean forwarded, final boolean via) {
        if (maxRequestLineBytes < 1 || maxHeaders < 1 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("limits must be positive (max body 0 for none)");
        }
        this.maxRequestLineBytes = maxRequestLineBytes;
        this.maxHeaders = maxHeaders;
        this.maxBodyBytes = maxBodyBytes;
        this.xForwardedProto = xForwardedProto;
        this.xForwardedHost = xForwardedHost;
        this.forwarded = forwarded;
        this.via = via;
    }

    /** @return longest request line accepted, bytes, CRLF excluded. */
    public int maxRequestLineBytes() {
        return maxRequestLineBytes;
    }

    /** @return most header fields accepted. */
    public int maxHeaders() {
        return maxHeaders;
    }

    /** @return largest request body accepted, bytes; 0 for no limit. */
    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    /**
     * @param bodyBytes body bytes received or announced so far.
     * @return {@code true} when they break the body limit.
     */
    public boolean bodyTooLarge(final long bodyBytes) {
        return maxBodyBytes > 0 && bodyBytes > maxBodyBytes;
    }

    /** @return {@code true} to add {@code X-Forwarded-Proto}. */
    public boolean xForwardedProto() {
        return xForwardedProto;
    }

    /** @return {@code true} to add {@code X-Forwarded-Host}. */
    public boolean xForwardedHost() {
        return xForwardedHost;
    }

    /** @return {@code true} to append an RFC 7239 {@code Forwarded} element. */
    public boolean forwarded() {
        return forwarded;
    }

    /** @return {@code true} to append {@code 1.1 weir} to {@code Via}. */
    public boolean via() {
        return via;
    }
}
