package dev.weir.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Fallback for Weir's own figures when its log has no {@code weir stats:} lines (see {@link WeirStats}): GC
 * count and allocation during a measured window, read from outside with {@code jstat -gc PID} (the JVM's perf
 * counters; nothing is injected into Weir).
 * <p>
 * GC count (young + full) is exact; allocated bytes are estimated as the growth of eden occupancy (jstat column
 * EU) plus one eden capacity (EC) per young GC in the window, and cover every thread, not only the stages.
 * <p>
 * <b>Note:</b> each snapshot starts a jstat process (about 0.3 s), taken outside the measured window.
 */
final class JvmStats {

    /** One {@code jstat -gc} reading. */
    static final class Snapshot {
        final long gcCount;
        final double edenUsedKib;
        final double edenCapacityKib;

        Snapshot(final long gcCount, final double edenUsedKib, final double edenCapacityKib) {
            this.gcCount = gcCount;
            this.edenUsedKib = edenUsedKib;
            this.edenCapacityKib = edenCapacityKib;
        }
    }

    private JvmStats() {
    }

    /** @return the pid of the first {@code java} process in the tree rooted at {@code pid}, if any. */
    static long javaPid(final long pid) {
        for (final long p : ProcStats.tree(pid)) {
            final Optional<String> cmd = ProcessHandle.of(p).flatMap(h -> h.info().command());
            if (cmd.isPresent() && cmd.get().endsWith("/java")) {
                return p;
            }
        }
        return -1;
    }

    /** @return a reading, or null when jstat is missing or cannot attach. */
    static Snapshot snapshot(final long javaPid) {
        if (javaPid <= 0) {
            return null;
        }
        try {
            final Process p = new ProcessBuilder("jstat", "-gc", Long.toString(javaPid)).redirectErrorStream(true)
                .start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            final String[] lines = out.split("\n");
            final String[] names = lines[0].trim().split("\\s+");
            final String[] values = lines[lines.length - 1].trim().split("\\s+");
            long gc = 0;
            double eu = -1;
            double ec = -1;
            for (int i = 0; i < names.length && i < values.length; i++) {
                switch (names[i]) {
                    case "YGC":
                    case "FGC":
                        gc += Long.parseLong(values[i]);
                        break;
                    case "EU":
                        eu = Double.parseDouble(values[i]);
                        break;
                    case "EC":
                        ec = Double.parseDouble(values[i]);
                        break;
                    default:
                        break;
                }
            }
            return eu < 0 ? null : new Snapshot(gc, eu, ec);
        } catch (final IOException | RuntimeException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Fills the GC count and the allocation estimate of a sample from two readings. */
    static void apply(final Snapshot before, final Snapshot after, final Sample sample) {
        if (before == null || after == null) {
            return;
        }
        sample.gcCount = after.gcCount - before.gcCount;
        final double kib = after.edenUsedKib - before.edenUsedKib + sample.gcCount * before.edenCapacityKib;
        if (sample.requests > 0) {
            sample.allocBytesPerRequest = Math.max(0, kib * 1024 / sample.requests);
        }
    }
}
