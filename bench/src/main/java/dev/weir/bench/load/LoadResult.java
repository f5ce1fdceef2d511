package dev.weir.bench.load;

import org.HdrHistogram.Histogram;

import java.util.Locale;

/**
 * The outcome of one load run: counts, rate and latency distribution (nanoseconds in the histograms).
 * <p>
 * <b>Note:</b> immutable once returned by {@link LoadGenerator#run}.
 */
public final class LoadResult {

    private final long requests;
    private final long errors;
    private final long connectErrors;
    private final long statusErrors;
    private final long bodyErrors;
    private final long ioErrors;
    private final long timeouts;
    private final long bodyBytes;
    private final double seconds;
    private final Histogram latencyNs;
    private final Histogram uncorrectedNs;
    private final boolean timedOut;

    LoadResult(final LoadThread[] threads, final double seconds, final boolean timedOut) {
        long r = 0;
        long c = 0;
        long s = 0;
        long b = 0;
        long io = 0;
        long t = 0;
        long bytes = 0;
        final Histogram latency = LoadThread.newHistogram();
        final Histogram uncorrected = LoadThread.newHistogram();
        for (final LoadThread thread : threads) {
            r += thread.requests;
            c += thread.connectErrors;
            s += thread.statusErrors;
            b += thread.bodyErrors;
            io += thread.ioErrors;
            t += thread.timeouts;
            bytes += thread.bodyBytes;
            latency.add(thread.latencyNs);
            uncorrected.add(thread.uncorrectedNs);
        }
        this.requests = r;
        this.connectErrors = c;
        this.statusErrors = s;
        this.bodyErrors = b;
        this.ioErrors = io;
        this.timeouts = t;
        this.errors = c + s + b + io + t;
        this.bodyBytes = bytes;
        this.seconds = seconds;
        this.latencyNs = latency;
        this.uncorrectedNs = uncorrected;
        this.timedOut = timedOut;
    }

    /** @return successful responses in the measured window. */
    public long requests() {
        return requests;
    }

    /** @return all errors: connect, status, body, I/O and timeouts. */
    public long errors() {
        return errors;
    }

    /** @return failed connection attempts. */
    public long connectErrors() {
        return connectErrors;
    }

    /** @return responses with an unexpected status or an unparsable head. */
    public long statusErrors() {
        return statusErrors;
    }

    /** @return responses with the wrong body length, bad framing or a pattern mismatch. */
    public long bodyErrors() {
        return bodyErrors;
    }

    /** @return connections that failed or closed mid-response. */
    public long ioErrors() {
        return ioErrors;
    }

    /** @return requests that exceeded the request timeout. */
    public long timeouts() {
        return timeouts;
    }

    /** @return body bytes received in successful responses. */
    public long bodyBytes() {
        return bodyBytes;
    }

    /** @return length of the measured window in seconds. */
    public double seconds() {
        return seconds;
    }

    /** @return successful responses per second in the measured window. */
    public double requestsPerSecond() {
        return seconds > 0 ? requests / seconds : 0;
    }

    /** @return latency from intended start (corrected for coordinated omission in fixed-rate mode), in ns. */
    public Histogram latencyNs() {
        return latencyNs;
    }

    /** @return latency from actual send, uncorrected, in ns. */
    public Histogram uncorrectedNs() {
        return uncorrectedNs;
    }

    /**
     * @param percentile e.g. 99.9.
     * @return latency at that percentile in microseconds.
     */
    public double percentileMicros(final double percentile) {
        return latencyNs.getValueAtPercentile(percentile) / 1000.0;
    }

    /** @return whether the run hit its hard deadline before finishing. */
    public boolean timedOut() {
        return timedOut;
    }

    /** @return a one-line human summary. */
    public String summary() {
        return String.format(Locale.ROOT,
            "%d requests in %.2f s = %.0f req/s; errors %d (connect %d, status %d, body %d, io %d, timeout %d)%s;"
                + " latency us p50 %.1f p99 %.1f p99.9 %.1f max %.1f",
            requests, seconds, requestsPerSecond(), errors, connectErrors, statusErrors, bodyErrors, ioErrors,
            timeouts, timedOut ? " TIMED OUT" : "", percentileMicros(50), percentileMicros(99),
            percentileMicros(99.9), latencyNs.getMaxValue() / 1000.0);
    }
}
