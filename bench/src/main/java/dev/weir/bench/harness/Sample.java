package dev.weir.bench.harness;

/**
 * One measured window against one target and body size.
 * <p>
 * <b>Note:</b> a plain mutable record, filled by a {@link LoadDriver} and the harness, then only read.
 */
final class Sample {
    double requestsPerSecond;
    long requests;
    long errors;
    double seconds;
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
}
