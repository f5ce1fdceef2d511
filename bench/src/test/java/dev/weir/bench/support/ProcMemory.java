package dev.weir.bench.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Reads a process's resident set from {@code /proc/PID/status} (Linux): {@code VmRSS} now and {@code VmHWM},
 * the peak the kernel saw.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class ProcMemory {

    private ProcMemory() {
    }

    /**
     * @param pid a process id.
     * @return its current resident set in bytes.
     * @throws IOException when the process is gone.
     */
    public static long rssBytes(final long pid) throws IOException {
        return field(pid, "VmRSS:");
    }

    /**
     * @param pid a process id.
     * @return its peak resident set in bytes.
     * @throws IOException when the process is gone.
     */
    public static long hwmBytes(final long pid) throws IOException {
        return field(pid, "VmHWM:");
    }

    /**
     * @param pid a process id.
     * @return bytes of its address space the kernel counts as locked ({@code VmLck}: whole locked mappings).
     * @throws IOException when the process is gone.
     */
    public static long lockedMappingBytes(final long pid) throws IOException {
        return field(pid, "VmLck:");
    }

    /**
     * @param pid a process id.
     * @return its resident bytes in locked mappings ({@code Locked} of {@code smaps_rollup}; shared pages
     *     counted proportionally, as in {@code Pss}).
     * @throws IOException when the process is gone or the kernel has no {@code smaps_rollup} (before 4.14).
     */
    public static long lockedResidentBytes(final long pid) throws IOException {
        return field(Paths.get("/proc", Long.toString(pid), "smaps_rollup"), "Locked:");
    }

    private static long field(final long pid, final String name) throws IOException {
        return field(Paths.get("/proc", Long.toString(pid), "status"), name);
    }

    private static long field(final Path status, final String name) throws IOException {
        for (final String line : Files.readAllLines(status)) {
            if (line.startsWith(name)) {
                final String value = line.substring(name.length()).trim();
                if (!value.endsWith(" kB")) {
                    throw new IOException("unexpected unit in " + status + ": " + line);
                }
                return Long.parseLong(value.substring(0, value.length() - 3).trim()) * 1024;
            }
        }
        throw new IOException(name + " not found in " + status);
    }

    /** @return {@code true} when {@code /proc/self/status} can be read (Linux). */
    public static boolean available() {
        return Files.isReadable(Paths.get("/proc/self/status"));
    }
}
