package dev.weir.bench.harness;

/**
 * One measured window against one target and scenario.
 * <p>
 * <b>Note:</b> a plain mutable record, filled by a {@link LoadDriver} and the harness, then only read.
 */
final class Sample {
    /** Successful responses per second (status below 400, and with the builtin generator the right length). */
    double requestsPerSecond;
    /** Successful responses. */
    long requests;
    /** Failed requests of every kind: the sum of the counts below (the builtin generator adds wrong lengths). */
    long errors;
    /** Responses with status 400 or above (Weir's 503 when its connection slots are exhausted). */
    long statusErrors;
    long connectErrors;
    long readErrors;
    long writeErrors;
    long timeouts;
    double seconds;
    /** Latency percentiles of every answered request, whatever its status. */
    double p50Us;
    double p99Us;
    double p999Us;
    double maxUs;
    /** Proxy CPU seconds (user + system) in the window; -1 when there is no proxy process. */
    double cpuSeconds = -1;
    /** GC cycles in the window (Weir only, from its stats lines, else jstat); -1 when unknown. */
    long gcCount = -1;
    /** Allocated bytes per request (Weir only); NaN when unknown. */
    double allocBytesPerRequest = Double.NaN;
    /** Whether {@link #allocBytesPerRequest} is Weir's stage-thread count (true) or a jstat estimate. */
    boolean allocExact;
    /** Connections Weir refused with 503 per second around the window (its stats lines); NaN when unknown. */
    double rejectedPerSecond = Double.NaN;
    /** Resident set (sum of VmRSS) of the proxy right after the window, KiB; -1 when unknown. */
    long rssKib = -1;

    /** @return connect, read, write and timeout errors: the requests that got no answer at all. */
    long socketErrors() {
        return connectErrors + readErrors + writeErrors + timeouts;
    }
}
