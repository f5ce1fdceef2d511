package dev.weir.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads CPU time and peak resident set of a process and all its descendants from {@code /proc}.
 * <p>
 * <b>Note:</b> Linux only; every method returns -1 when {@code /proc} cannot tell.
 */
final class ProcStats {

    private static final long CLOCK_TICKS_PER_SECOND = clockTicks();

    private ProcStats() {
    }

    /** @return user + system CPU seconds of the process tree rooted at {@code pid}, or -1. */
    static double cpuSeconds(final long pid) {
        return cpuSeconds(List.of(pid));
    }

    /** @return user + system CPU seconds of the process trees rooted at {@code roots}, or -1. */
    static double cpuSeconds(final List<Long> roots) {
        long ticks = 0;
        boolean any = false;
        for (final long p : trees(roots)) {
            try {
                final String stat = Files.readString(Path.of("/proc", Long.toString(p), "stat"));
                final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // After "pid (comm) ", field 3 (state) is f[0]; utime (14) is f[11], stime (15) is f[12].
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                any = true;
            } catch (final IOException | RuntimeException e) {
                // The process may have exited between listing and reading: skip it.
            }
        }
        return any ? (double) ticks / CLOCK_TICKS_PER_SECOND : -1;
    }

    /** @return the sum of VmHWM (peak RSS) in KiB over the process tree rooted at {@code pid}, or -1. */
    static long peakRssKib(final long pid) {
        return peakRssKib(List.of(pid));
    }

    /** @return the sum of VmHWM (peak RSS) in KiB over the process trees rooted at {@code roots}, or -1. */
    static long peakRssKib(final List<Long> roots) {
        return statusKib(roots, "VmHWM:");
    }

    /** @return the sum of VmRSS (resident set now) in KiB over the process trees rooted at {@code roots}, or -1. */
    static long rssKib(final List<Long> roots) {
        return statusKib(roots, "VmRSS:");
    }

    private static long statusKib(final List<Long> roots, final String field) {
        long kib = 0;
        boolean any = false;
        for (final long p : trees(roots)) {
            try {
                for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(p), "status"))) {
                    if (line.startsWith(field)) {
                        kib += Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                        any = true;
                    }
                }
            } catch (final IOException | RuntimeException e) {
                // The process may have exited between listing and reading: skip it.
            }
        }
        return any ? kib : -1;
    }

    private static List<Long> trees(final List<Long> roots) {
        final List<Long> pids = new ArrayList<>();
        for (final long root : roots) {
            pids.addAll(tree(root));
        }
        return pids;
    }

    /** @return {@code pid} and its living descendants. */
    static List<Long> tree(final long pid) {
        final List<Long> pids = new ArrayList<>();
        if (pid <= 0) {
            return pids;
        }
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        return pids;
    }

    private static long clockTicks() {
        try {
            final Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return Long.parseLong(out);
        } catch (final IOException | RuntimeException e) {
            return 100;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
