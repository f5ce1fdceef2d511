package dev.weir.arena.plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * What the host lets this process have: the overcommit mode, the cgroup memory limit and {@code MemAvailable},
 * read once before anything is committed, and the check of a {@link MemoryPlan} against them.
 * <p>
 * Sources: {@code /proc/sys/vm/overcommit_memory}; the cgroup of this process from {@code /proc/self/cgroup},
 * its v2 {@code memory.max} (the smallest along the path to the root), falling back to the v1
 * {@code memory.limit_in_bytes}; {@code MemAvailable} from {@code /proc/meminfo}; this process's own resident
 * set ({@code VmRSS} in {@code /proc/self/status}), because memory this process already holds (a pre-touched
 * heap) is no longer counted in {@code MemAvailable}.
 * <p>
 * <b>Note:</b> immutable and thread-safe once read.
 */
public final class HostMemory {

    /** A limit or figure that is absent or could not be read. */
    public static final long UNKNOWN = -1;
    /** The overcommit mode could not be read. */
    public static final int UNKNOWN_MODE = -1;

    /** v1 reports "no limit" as a huge page-aligned number; anything at or above this is no limit. */
    private static final long V1_UNLIMITED_FLOOR = 1L << 62;
    private static final long KIB = 1024;

    private final int overcommitMode;
    private final long cgroupLimitBytes;
    private final String cgroupSource;
    private final long memAvailableBytes;
    private final long residentBytes;

    private HostMemory(final int overcommitMode, final long cgroupLimitBytes, final String cgroupSource,
        final long memAvailableBytes, final long residentBytes) {
        this.overcommitMode = overcommitMode;
        this.cgroupLimitBytes = cgroupLimitBytes;
        this.cgroupSource = cgroupSource;
        this.memAvailableBytes = memAvailableBytes;
        this.residentBytes = residentBytes;
    }

    /**
     * Figures given directly, for tests and for hosts without {@code /proc}.
     *
     * @param overcommitMode    0, 1 or 2, or {@link #UNKNOWN_MODE}.
     * @param cgroupLimitBytes  the cgroup limit, or {@link #UNKNOWN} for none.
     * @param memAvailableBytes {@code MemAvailable}, or {@link #UNKNOWN}.
     * @param residentBytes     bytes this process already holds resident (subtracted from the need), 0 or more.
     * @return the host figures.
     */
    public static HostMemory of(final int overcommitMode, final long cgroupLimitBytes, final long memAvailableBytes,
        final long residentBytes) {
        return new HostMemory(overcommitMode, cgroupLimitBytes, "given", memAvailableBytes, residentBytes);
    }

    /** @return the figures of this host and process, read from {@code /proc} and {@code /sys/fs/cgroup}. */
    public static HostMemory detect() {
        return read(Paths.get("/proc"), Paths.get("/sys/fs/cgroup"));
    }

    /**
     * Read the figures from a {@code /proc} and a cgroup mount; a missing file gives an unknown figure.
     *
     * @param procRoot   where {@code /proc} is (a temp directory in tests).
     * @param cgroupRoot where {@code /sys/fs/cgroup} is.
     * @return the host figures.
     * @throws UncheckedIOException when a file exists but cannot be read.
     */
    public static HostMemory read(final Path procRoot, final Path cgroupRoot) {
        final String overcommit = readOrNull(procRoot.resolve("sys/vm/overcommit_memory"));
        final int mode = overcommit == null ? UNKNOWN_MODE : parseOvercommitMode(overcommit);
        final String meminfo = readOrNull(procRoot.resolve("meminfo"));
        final long available = meminfo == null ? UNKNOWN : parseKibField(meminfo, "MemAvailable:");
        final String status = readOrNull(procRoot.resolve("self/status"));
        final long resident = status == null ? 0 : Math.max(0, parseKibField(status, "VmRSS:"));
        final String cgroupFile = readOrNull(procRoot.resolve("self/cgroup"));

        long limit = UNKNOWN;
        String source = "no cgroup";
        if (cgroupFile != null) {
            final String v2 = cgroupV2Path(cgroupFile);
            if (v2 != null) {
                final Path found = smallestLimitFile(cgroupRoot, v2, "memory.max");
                if (found != null) {
                    limit = parseLimit(read(found));
                    source = found.toString();
                }
            }
            final String v1 = cgroupV1MemoryPath(cgroupFile);
            if (source.equals("no cgroup") && v1 != null) {
                final Path found = smallestLimitFile(cgroupRoot.resolve("memory"), v1, "memory.limit_in_bytes");
                if (found != null) {
                    limit = parseLimit(read(found));
                    source = found.toString();
                }
            }
        }
        return new HostMemory(mode, limit, source, available, resident);
    }

    /** @return the overcommit mode 0, 1 or 2, or {@link #UNKNOWN_MODE}. */
    public int overcommitMode() {
        return overcommitMode;
    }

    /** @return the cgroup memory limit in bytes, or {@link #UNKNOWN} when there is none. */
    public long cgroupLimitBytes() {
        return cgroupLimitBytes;
    }

    /** @return {@code MemAvailable} in bytes, or {@link #UNKNOWN}. */
    public long memAvailableBytes() {
        return memAvailableBytes;
    }

    /** @return bytes this process held resident when the figures were read. */
    public long residentBytes() {
        return residentBytes;
    }

    /**
     * The findings, one per line, for the startup log.
     *
     * @return the overcommit mode and what it means, the cgroup limit and {@code MemAvailable}.
     */
    public List<String> describe() {
        final List<String> lines = new ArrayList<>(4);
        switch (overcommitMode) {
            case 0:
            case 1:
                lines.add("overcommit_memory " + overcommitMode + (overcommitMode == 0 ? " (heuristic)" : " (always)")
                    + ": the kernel promises more than it has, so memory runs out through the OOM killer, not"
                    + " through a failed allocation; Weir therefore commits its whole plan up front");
                break;
            case 2:
                lines.add("overcommit_memory 2 (strict): allocations beyond the commit limit fail; committing the"
                    + " plan up front makes any such failure happen at startup");
                break;
            default:
                lines.add("overcommit_memory unknown (no /proc/sys/vm/overcommit_memory); the plan is committed"
                    + " up front regardless");
                break;
        }
        lines.add(cgroupLimitBytes == UNKNOWN
            ? "cgroup memory limit: none (" + cgroupSource + ")"
            : "cgroup memory limit: " + figure(cgroupLimitBytes) + " (" + cgroupSource + ")");
        lines.add(memAvailableBytes == UNKNOWN
            ? "MemAvailable: unknown"
            : "MemAvailable: " + figure(memAvailableBytes) + ", of which this process needs the plan total less "
                + figure(residentBytes) + " already resident");
        return lines;
    }

    /**
     * Check a plan against the cgroup limit and {@code MemAvailable}.
     *
     * @param plan the plan to fit.
     * @return {@code null} when it fits, otherwise one line naming the plan total and the figure it exceeds.
     */
    public String check(final MemoryPlan plan) {
        final long total = plan.totalBytes();
        if (cgroupLimitBytes != UNKNOWN && total > cgroupLimitBytes) {
            return "plan total " + figure(total) + " exceeds the cgroup memory limit " + figure(cgroupLimitBytes)
                + " (" + cgroupSource + ")";
        }
        final long stillNeeded = total - Math.min(total, residentBytes);
        if (memAvailableBytes != UNKNOWN && stillNeeded > memAvailableBytes) {
            return "plan total " + figure(total) + " exceeds MemAvailable " + figure(memAvailableBytes)
                + (residentBytes > 0 ? " plus the " + MemoryPlan.human(residentBytes) + " this process already holds"
                : "");
        }
        return null;
    }

    /**
     * @param text the content of {@code /proc/sys/vm/overcommit_memory}.
     * @return the mode, or {@link #UNKNOWN_MODE} when the text is not a number.
     */
    public static int parseOvercommitMode(final String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (final NumberFormatException e) {
            return UNKNOWN_MODE;
        }
    }

    /**
     * @param text  a {@code /proc/meminfo} or {@code /proc/self/status} text.
     * @param field the field with its colon, e.g. {@code "MemAvailable:"}.
     * @return the field's value converted from kB to bytes, or {@link #UNKNOWN} when absent.
     */
    public static long parseKibField(final String text, final String field) {
        for (final String line : text.split("\n")) {
            if (line.startsWith(field)) {
                final String[] parts = line.substring(field.length()).trim().split("\\s+");
                try {
                    return Long.parseLong(parts[0]) * KIB;
                } catch (final NumberFormatException e) {
                    return UNKNOWN;
                }
            }
        }
        return UNKNOWN;
    }

    /**
     * @param text a cgroup v2 {@code memory.max} or v1 {@code memory.limit_in_bytes}.
     * @return the limit in bytes, or {@link #UNKNOWN} for {@code max} or the v1 "no limit" value.
     */
    public static long parseLimit(final String text) {
        final String value = text.trim();
        if (value.equals("max") || value.isEmpty()) {
            return UNKNOWN;
        }
        try {
            final long limit = Long.parseLong(value);
            return limit >= V1_UNLIMITED_FLOOR ? UNKNOWN : limit;
        } catch (final NumberFormatException e) {
            return UNKNOWN;
        }
    }

    /**
     * @param procSelfCgroup the content of {@code /proc/self/cgroup}.
     * @return the unified (v2) path from the {@code 0::} line, or {@code null}.
     */
    public static String cgroupV2Path(final String procSelfCgroup) {
        for (final String line : procSelfCgroup.split("\n")) {
            if (line.startsWith("0::")) {
                return line.substring(3).trim();
            }
        }
        return null;
    }

    /**
     * @param procSelfCgroup the content of {@code /proc/self/cgroup}.
     * @return the v1 path of the {@code memory} controller, or {@code null}.
     */
    public static String cgroupV1MemoryPath(final String procSelfCgroup) {
        for (final String line : procSelfCgroup.split("\n")) {
            final String[] parts = line.split(":", 3);
            if (parts.length == 3 && !parts[1].isEmpty()) {
                for (final String controller : parts[1].split(",")) {
                    if (controller.equals("memory")) {
                        return parts[2].trim();
                    }
                }
            }
        }
        return null;
    }

    /**
     * The limit file with the smallest limit on the way from the process's cgroup up to the mount's root; a
     * parent's limit binds its children. In a container the path may name a host hierarchy not mounted
     * inside; walking up then reaches the container's own root.
     */
    private static Path smallestLimitFile(final Path mount, final String cgroupPath, final String fileName) {
        Path best = null;
        long bestLimit = Long.MAX_VALUE;
        Path dir = mount.resolve(cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath).normalize();
        while (dir != null && dir.startsWith(mount)) {
            final Path file = dir.resolve(fileName);
            final String text = readOrNull(file);
            if (text != null) {
                final long limit = parseLimit(text);
                if (best == null || limit != UNKNOWN && limit < bestLimit) {
                    best = file;
                    bestLimit = limit == UNKNOWN ? Long.MAX_VALUE : limit;
                }
            }
            dir = dir.equals(mount) ? null : dir.getParent();
        }
        return best;
    }

    private static String figure(final long bytes) {
        return MemoryPlan.human(bytes) + " (" + bytes + " bytes)";
    }

    private static String read(final Path file) {
        final String text = readOrNull(file);
        return text == null ? "" : text;
    }

    private static String readOrNull(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (final NoSuchFileException e) {
            return null;
        } catch (final IOException e) {
            if (!Files.exists(file)) {
                return null;
            }
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
