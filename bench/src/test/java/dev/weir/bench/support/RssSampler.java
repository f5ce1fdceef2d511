package dev.weir.bench.support;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples a process's {@code VmRSS} every few milliseconds on a daemon thread and keeps the largest value,
 * so a test can say how far the resident set rose while something ran.
 * <p>
 * <b>Note:</b> start it with {@link #start(long, long)}, read {@link #peakBytes()} from any thread, and
 * {@link #close()} it; sampling stops by itself when the process is gone.
 */
public final class RssSampler implements AutoCloseable {

    private final long pid;
    private final long intervalMs;
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private RssSampler(final long pid, final long intervalMs) {
        this.pid = pid;
        this.intervalMs = intervalMs;
        this.thread = new Thread(this::run, "rss-sampler-" + pid);
        this.thread.setDaemon(true);
    }

    /**
     * @param pid        the process to watch.
     * @param intervalMs milliseconds between samples.
     * @return the running sampler.
     */
    public static RssSampler start(final long pid, final long intervalMs) {
        final RssSampler sampler = new RssSampler(pid, intervalMs);
        sampler.thread.start();
        return sampler;
    }

    private void run() {
        while (running) {
            try {
                final long rss = ProcMemory.rssBytes(pid);
                peak.accumulateAndGet(rss, Math::max);
                samples.incrementAndGet();
                Thread.sleep(intervalMs);
            } catch (final IOException e) {
                return;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** @return the largest {@code VmRSS} sampled so far, in bytes. */
    public long peakBytes() {
        return peak.get();
    }

    /** @return samples taken so far. */
    public long samples() {
        return samples.get();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
