package dev.weir.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final Pattern ADMIN_LINE = Pattern.compile("weir admin: listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern PLAN_TOTAL = Pattern.compile("\"total_bytes\":(\\d+)");
    private static final int ADMIN_TIMEOUT_MS = 2_000;
    /** Stands for a log without stats lines: {@link #apply} then reports nothing. */
    private static final Snapshot MISSING = new Snapshot(-1, -1, -1, -1, -1);

    /** One stats line. */
    static final class Snapshot {
        final long uptimeMs;
        final long requests;
        final long stageAllocatedBytes;
        final long gcCount;
        /** Connections refused with 503 since start (no connection slot was free). */
        final long rejected;

        Snapshot(final long uptimeMs, final long requests, final long stageAllocatedBytes, final long gcCount,
            final long rejected) {
            this.uptimeMs = uptimeMs;
            this.requests = requests;
            this.stageAllocatedBytes = stageAllocatedBytes;
            this.gcCount = gcCount;
            this.rejected = rejected;
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
        long rejected = -1;
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
                case "rejected":
                    rejected = v;
                    break;
                default:
                    break;
            }
        }
        return new Snapshot(uptime, requests, allocated, gc, rejected);
    }

    /**
     * @param logs  the logs of a target's Weir processes.
     * @param after for each log a line already seen, or null for none.
     * @return for each log the first line printed after the one seen (see {@link #fresh}); null entries for logs
     *         without stats lines.
     * @throws InterruptedException when interrupted while waiting.
     */
    static List<Snapshot> freshAll(final List<Path> logs, final List<Snapshot> after) throws InterruptedException {
        final List<Snapshot> lines = new ArrayList<>();
        for (int i = 0; i < logs.size(); i++) {
            final Snapshot seen = after != null ? after.get(i) : last(logs.get(i));
            lines.add(fresh(logs.get(i), seen));
        }
        return lines;
    }

    /**
     * Fills the sample's GC count and exact allocated bytes per request from two lines.
     *
     * @return whether both lines were there.
     */
    static boolean apply(final Snapshot before, final Snapshot after, final Sample sample) {
        return apply(List.of(before == null ? MISSING : before), List.of(after == null ? MISSING : after), sample);
    }

    /**
     * Fills the sample's GC count, exact allocated bytes per request and refusals per second from two lines of
     * each of a target's Weir processes (summed over them).
     *
     * @return whether both lines were there for every process.
     */
    static boolean apply(final List<Snapshot> before, final List<Snapshot> after, final Sample sample) {
        long gc = 0;
        long requests = 0;
        long allocated = 0;
        boolean allocKnown = true;
        double rejectedPerSecond = 0;
        boolean rejectedKnown = true;
        for (int i = 0; i < before.size(); i++) {
            final Snapshot b = before.get(i);
            final Snapshot a = after.get(i);
            if (b == null || a == null || a.gcCount < 0 || b.gcCount < 0) {
                return false;
            }
            gc += a.gcCount - b.gcCount;
            requests += a.requests - b.requests;
            allocKnown &= b.stageAllocatedBytes >= 0 && a.stageAllocatedBytes >= 0;
            allocated += a.stageAllocatedBytes - b.stageAllocatedBytes;
            final long ms = a.uptimeMs - b.uptimeMs;
            rejectedKnown &= b.rejected >= 0 && a.rejected >= 0 && ms > 0;
            rejectedPerSecond += ms > 0 ? (a.rejected - b.rejected) * 1000.0 / ms : 0;
        }
        sample.gcCount = gc;
        if (requests > 0 && allocKnown) {
            sample.allocBytesPerRequest = allocated / (double) requests;
            sample.allocExact = true;
        }
        if (rejectedKnown) {
            sample.rejectedPerSecond = rejectedPerSecond;
        }
        return true;
    }

    /**
     * Asks a Weir for its memory plan on its admin listener ({@code GET /plan}), found from the
     * {@code weir admin: listening on} line of its log.
     *
     * @param log Weir's log.
     * @return the plan's total bytes, or -1 when there is no admin listener or it does not answer.
     */
    static long planTotalBytes(final Path log) {
        try {
            final Matcher admin = ADMIN_LINE.matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
            if (!admin.find()) {
                return -1;
            }
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(admin.group(1))),
                    ADMIN_TIMEOUT_MS);
                s.setSoTimeout(ADMIN_TIMEOUT_MS);
                s.getOutputStream().write("GET /plan HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                final String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                final Matcher total = PLAN_TOTAL.matcher(answer);
                return total.find() ? Long.parseLong(total.group(1)) : -1;
            }
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }
}
