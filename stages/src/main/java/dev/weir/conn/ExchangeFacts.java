package dev.weir.conn;

/**
 * What the metrics and the access log need to know about the current exchange, filled in by the stages as it
 * goes and read once, when it ends, by {@link ExchangeObserver}s.
 * <p>
 * <b>Note:</b> each field has one writer, the owner of the half it describes: the parse stage (request half)
 * writes the start, the upstream stage the server and the relayed status, the write stage the canned status,
 * and whichever of the upstream and write stages holds the response half the bytes sent. The observer runs on
 * the thread that ended the second half, after both owners' last writes ({@link ConnectionSlot#endHalf()}
 * orders them).
 */
public final class ExchangeFacts {

    /** No upstream server served the exchange (answered by Weir itself). */
    public static final int NO_SERVER = -1;

    /** Parse stage: the turn time ({@link System#nanoTime()}) the request's first byte was read in; 0 before. */
    public long startNanos;
    /** Parse stage: {@link System#currentTimeMillis()} at the same moment, for the access log's time. */
    public long startEpochMillis;
    /** Upstream stage: the turn time ({@link System#nanoTime()}) the final response head was parsed in; 0: none. */
    public long responseHeadNanos;
    /** Upstream stage: index of the upstream server the request was sent to, or {@link #NO_SERVER}. */
    public int server = NO_SERVER;
    /**
     * The status the client was sent: the origin's (upstream stage) or a canned one (write stage, or the parse
     * stage refusing at admission); 0 none.
     */
    public int status;
    /** Response half's owner (upstream stage writing through, or write stage): bytes written to the client. */
    public long bytesSent;

    /**
     * @return the status the client was sent: {@link #status} once any byte reached it, else 0 (the client left,
     *         or the connection failed, before the answer's first byte went out).
     */
    public int statusSent() {
        return bytesSent > 0 ? status : 0;
    }

    /** Start a new exchange: nothing known yet. */
    public void begin() {
        startNanos = 0;
        startEpochMillis = 0;
        responseHeadNanos = 0;
        server = NO_SERVER;
        status = 0;
        bytesSent = 0;
    }

    /**
     * Note the request's first byte, once per exchange.
     *
     * @param nowNanos {@link System#nanoTime()}.
     */
    public void started(final long nowNanos) {
        if (startNanos == 0) {
            startNanos = nowNanos;
            startEpochMillis = System.currentTimeMillis();
        }
    }
}
