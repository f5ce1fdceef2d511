package dev.weir.arena;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Figures of this process from {@code /proc/self/status}: resident set ({@code VmRSS}) and its peak ({@code VmHWM}),
 * address space ({@code VmSize}), effective capabilities ({@code CapEff}) and allowed CPUs
 * ({@code Cpus_allowed_list}).
 * <p>
 * <b>Note:</b> every call reads the file and allocates: for startup, the stats line and metrics scrapes, never
 * for a stage thread's turn. Thread-safe.
 */
public final class ProcessStatus {

    /** Where the figures come from. */
    public static final Path STATUS_FILE = Path.of("/proc/self/status");
    /** Returned when a figure cannot be read (not Linux, or no such row). */
    public static final long UNKNOWN = -1;
    /** Bit of {@code CAP_IPC_LOCK} in a capability mask, from linux/capability.h. */
    public static final int CAP_IPC_LOCK = 14;

    /**
     * The resident set now ({@code VmRSS}) and its peak since start ({@code VmHWM}), each {@link #UNKNOWN} when it
     * cannot be read.
     *
     * @param currentBytes resident bytes now.
     * @param peakBytes    most resident bytes since start.
     */
    public record Resident(long currentBytes, long peakBytes) {
    }

    private ProcessStatus() {
    }

    /** @return resident bytes now ({@code VmRSS}), or {@link #UNKNOWN}. */
    public static long residentBytes() {
        return kibRow("VmRSS:");
    }

    /** @return resident bytes now and their peak, from one read of the file: a scrape reports both. */
    public static Resident resident() {
        return resident(lines());
    }

    /**
     * @param lines the file's lines.
     * @return the resident set and its peak those lines hold.
     */
    static Resident resident(final List<String> lines) {
        return new Resident(kibRow(lines, "VmRSS:"), kibRow(lines, "VmHWM:"));
    }

    /** @return bytes of address space mapped, reserved included ({@code VmSize}), or {@link #UNKNOWN}. */
    public static long addressSpaceBytes() {
        return kibRow("VmSize:");
    }

    /** @return {@code true} when the effective capabilities hold {@code CAP_IPC_LOCK}. */
    public static boolean canLockWithoutLimit() {
        final String mask = row("CapEff:");
        if (mask == null) {
            return false;
        }
        try {
            return (Long.parseUnsignedLong(mask, 16) >>> CAP_IPC_LOCK & 1) == 1;
        } catch (final NumberFormatException e) {
            return false;
        }
    }

    /** @return the CPUs this process may run on, e.g. {@code 0-3,6}, or {@code null} when it cannot be read. */
    public static String allowedCpuList() {
        return row("Cpus_allowed_list:");
    }

    private static long kibRow(final String name) {
        return kibRow(lines(), name);
    }

    private static long kibRow(final List<String> lines, final String name) {
        final String value = row(lines, name);
        if (value == null) {
            return UNKNOWN;
        }
        final int space = value.indexOf(' ');
        try {
            return Long.parseLong(space < 0 ? value : value.substring(0, space)) * 1024;
        } catch (final NumberFormatException e) {
            return UNKNOWN;
        }
    }

    /**
     * @param name a row's name with its colon, e.g. {@code VmRSS:}.
     * @return the row's value, trimmed, or {@code null}.
     */
    static String row(final String name) {
        return row(lines(), name);
    }

    /** @return the file's lines, or none when it cannot be read. */
    private static List<String> lines() {
        try {
            return Files.readAllLines(STATUS_FILE, StandardCharsets.US_ASCII);
        } catch (final IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String row(final List<String> lines, final String name) {
        for (final String line : lines) {
            if (line.startsWith(name)) {
                return line.substring(name.length()).trim();
            }
        }
        return null;
    }
}
