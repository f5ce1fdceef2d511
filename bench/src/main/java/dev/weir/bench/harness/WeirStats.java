package dev.weir.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Weir's own figures for a measured window, read from the {@code weir stats:} lines that
 * {@code bin/weir --stats-interval SECONDS} prints to its log: requests parsed, bytes allocated by the stage
 * threads ({@code ThreadMXBean.getThreadAllocatedBytes}, exact) and GC count (every collector's MXBean).
 * <p>
 * A window's figures are the difference between the first line printed after it ends and the last line printed
 * before it began; bytes per request divides Weir's own allocation delta by Weir's own request delta, so both
 * cover the same interval even though lines come at intervals.
 * <p>
 * <b>Note:</b> used from the harness thread only.
 */
final class WeirStats {

    /** The interval the harness asks Weir for, as passed on its command line. */
    static final String INTERVAL_ARGUMENT = "0.25";

    private static final long INTERVAL_MS = 250;
    private static final long FRESH_LINE_TIMEOUT_MS = 3_000;
    private static final String PREFIX = "weir stats: ";

    /** One stats line. */
    static final class Snapshot {
        final long uptimeMs;
        final long requests;
        final long stageAllocatedBytes;
        final long gcCount;

        Snapshot(final long uptimeMs, final long requests, final long stageAllocatedBytes, final long gcCount) {
            this.uptimeMs = uptimeMs;
            this.requests = requests;
            this.stageAllocatedBytes = stageAllocatedBytes;
            this.gcCount = gcCount;
        }
    }

    private WeirStats() {
    }

    /** @return the last stats line in the log, or null when there is none (an older Weir, or no log). */
    static Snapshot last(final Path log) {
        if (log == null || !Files.isReadable(log)) {
            return null;
        }
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith(PREFIX)) {
                    return parse(lines.get(i));
                }
            }
            return null;
        } catch (final IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param log   Weir's log.
     * @param after a line already seen, or null.
     * @return the first line printed after {@code after} (waiting for it up to a few seconds), else the last.
     * @throws InterruptedException when interrupted while waiting.
     */
    static Snapshot fresh(final Path log, final Snapshot after) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + FRESH_LINE_TIMEOUT_MS;
        Snapshot s = last(log);
        while ((s == null || after != null && s.uptimeMs <= after.uptimeMs) && System.currentTimeMillis() < deadline) {
            Thread.sleep(INTERVAL_MS / 5);
            s = last(log);
        }
        return s;
    }

    static Snapshot parse(final String line) {
        long uptime = -1;
        long requests = -1;
        long allocated = -1;
        long gc = -1;
        for (final String kv : line.substring(PREFIX.length()).trim().split(" ")) {
            final int eq = kv.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            final long v = Long.parseLong(kv.substring(eq + 1));
            switch (kv.substring(0, eq)) {
                case "uptime_ms":
                    uptime = v;
                    break;
                case "requests":
                    requests = v;
                    break;
                case "stage_allocated_bytes":
                    allocated = v;
                    break;
                case "gc_count":
                    gc = v;
                    break;
                default:
                    break;
            }
        }
        return new Snapshot(uptime, requests, allocated, gc);
    }

    /**
     * Fills the sample's GC count and exact allocated bytes per request from two lines.
     *
     * @return whether both lines were there.
     */
    static boolean apply(final Snapshot before, final Snapshot after, final Sample sample) {
        if (before == null || after == null || after.gcCount < 0 || before.gcCount < 0) {
            return false;
        }
        sample.gcCount = after.gcCount - before.gcCount;
        final long requests = after.requests - before.requests;
        if (requests > 0 && before.stageAllocatedBytes >= 0 && after.stageAllocatedBytes >= 0) {
            sample.allocBytesPerRequest = (after.stageAllocatedBytes - before.stageAllocatedBytes)
                / (double) requests;
            sample.allocExact = true;
        }
        return true;
    }
}
