package dev.weir.arena.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads this process's memory figures from {@code /proc/self/status}, in bytes.
 */
public final class ProcStatus {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcStatus() {
    }

    /** @return the resident set ({@code VmRSS}) in bytes. */
    public static long residentBytes() {
        return kibField("VmRSS:") * 1024;
    }

    /** @return memory locked with {@code mlock} ({@code VmLck}) in bytes. */
    public static long lockedBytes() {
        return kibField("VmLck:") * 1024;
    }

    private static long kibField(final String field) {
        try {
            for (final String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith(field)) {
                    // e.g. "VmRSS:     123456 kB"
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException(field + " not found in " + STATUS);
    }
}
