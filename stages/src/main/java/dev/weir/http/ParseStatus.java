package dev.weir.http;

/**
 * Results of the HTTP/1.1 parsers: named int codes, never exceptions, on the hot path.
 * <p>
 * Positive: done. Zero: need more bytes. Negative: the request (or response) is bad, and for a request the
 * negated value is the status code to answer with, e.g. {@link #BAD_REQUEST} is {@code -400}.
 */
public final class ParseStatus {

    /** The head is complete and valid. */
    public static final int COMPLETE = 1;
    /** The head's end has not arrived yet. */
    public static final int NEED_MORE = 0;
    /** Malformed: answer 400. */
    public static final int BAD_REQUEST = -400;
    /** The request body is larger than {@code parse.max-body}: answer 413. */
    public static final int CONTENT_TOO_LARGE = -413;
    /** The request line is longer than {@code parse.max-request-line}: answer 414. */
    public static final int URI_TOO_LONG = -414;
    /** The head does not fit the parse buffer, or has more than {@code parse.max-headers} fields: answer 431. */
    public static final int HEAD_TOO_LARGE = -431;
    /** A method or transfer coding Weir does not relay: answer 501. */
    public static final int NOT_IMPLEMENTED = -501;
    /** An HTTP version other than 1.0 and 1.1: answer 505. */
    public static final int VERSION_NOT_SUPPORTED = -505;
    /** The origin's response head is malformed or too large: answer 502. */
    public static final int BAD_RESPONSE = -502;

    private ParseStatus() {
    }

    /**
     * @param status a status code from this class.
     * @return its name, for logs.
     */
    public static String name(final int status) {
        switch (status) {
            case COMPLETE:
                return "COMPLETE";
            case NEED_MORE:
                return "NEED_MORE";
            case BAD_REQUEST:
                return "BAD_REQUEST";
            case CONTENT_TOO_LARGE:
                return "CONTENT_TOO_LARGE";
            case URI_TOO_LONG:
                return "URI_TOO_LONG";
            case HEAD_TOO_LARGE:
                return "HEAD_TOO_LARGE";
            case NOT_IMPLEMENTED:
                return "NOT_IMPLEMENTED";
            case VERSION_NOT_SUPPORTED:
                return "VERSION_NOT_SUPPORTED";
            case BAD_RESPONSE:
                return "BAD_RESPONSE";
            default:
                return "UNKNOWN(" + status + ")";
        }
    }
}
