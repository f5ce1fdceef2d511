package dev.weir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import dev.weir.config.Sizes;

/**
 * Checks of the serving JVM against its plan, made before anything is committed: that it got the JVM flags
 * the plan derived, and that its limit on open files covers the planned sockets.
 * <p>
 * Each check returns {@code null} when it passes, else one line saying what differs; {@link Weir} prints it and
 * exits with {@link Weir#EXIT_REFUSED}.
 * <p>
 * <b>Note:</b> stateless and thread-safe; for startup only.
 */
final class StartupChecks {

    /** Where Linux lists the process's resource limits. */
    static final Path PROC_LIMITS = Path.of("/proc/self/limits");
    /** A soft limit Linux prints as {@code unlimited}. */
    static final long UNLIMITED = Long.MAX_VALUE;
    /** The limit could not be read (not Linux, or no {@code /proc}). */
    static final long UNKNOWN = -1;

    /** The plan's flags whose values are checked, as option prefixes; the collector and the rest are not. */
    private static final String[] SIZED_PREFIXES = {
        "-Xmx", "-Xss", "-XX:MaxMetaspaceSize=", "-XX:ReservedCodeCacheSize=", "-XX:MaxDirectMemorySize=",
    };
    private static final String PRE_TOUCH = "-XX:+AlwaysPreTouch";

    private StartupChecks() {
    }

    /**
     * Compare the running JVM with the flags its plan derived. For each of {@code -Xmx}, {@code -Xss},
     * {@code -XX:MaxMetaspaceSize}, {@code -XX:ReservedCodeCacheSize} and {@code -XX:MaxDirectMemorySize} the
     * last occurrence in the JVM's arguments (the one the JVM obeys) must have the planned value;
     * {@code -XX:+AlwaysPreTouch} must be on; and the heap the JVM reports must not exceed the planned one
     * (Serial reports the heap less one survivor space, so it may be smaller). The collector is not checked: a
     * collector named in {@code WEIR_JAVA_OPTS} replaces Serial.
     *
     * @param planFlags  the flags derived from the plan, as {@code --print-jvm-flags} prints them.
     * @param inputArgs  the JVM's arguments, {@code RuntimeMXBean.getInputArguments()}.
     * @param maxMemory  {@code Runtime.maxMemory()}.
     * @return {@code null} when the JVM matches the plan, else one line naming the first mismatch.
     */
    static String jvmFlagMismatch(final List<String> planFlags, final List<String> inputArgs, final long maxMemory) {
        for (final String prefix : SIZED_PREFIXES) {
            final String planned = last(planFlags, prefix);
            if (planned == null) {
                continue;
            }
            final String actual = last(inputArgs, prefix);
            final long plannedBytes = jvmSize(planned.substring(prefix.length()));
            if (actual == null || jvmSize(actual.substring(prefix.length())) != plannedBytes) {
                return "the JVM was started with " + (actual == null ? "no " + flagName(prefix) : actual)
                    + " but the plan needs " + planned + "; start it with bin/weir, or with the flags"
                    + " --print-jvm-flags prints";
            }
            if (prefix.equals("-Xmx") && maxMemory > plannedBytes) {
                return "the JVM reports a " + Sizes.format(maxMemory) + " heap but the plan needs " + planned
                    + "; start it with bin/weir, or with the flags --print-jvm-flags prints";
            }
        }
        if (planFlags.contains(PRE_TOUCH) && !PRE_TOUCH.equals(lastOf(inputArgs, PRE_TOUCH, "-XX:-AlwaysPreTouch"))) {
            return "the JVM was started without " + PRE_TOUCH + " but the plan commits the heap with it; start it"
                + " with bin/weir, or with the flags --print-jvm-flags prints";
        }
        return null;
    }

    /**
     * Compare the soft limit on open files with what the plan needs.
     *
     * @param softLimit the soft {@code RLIMIT_NOFILE}, {@link #UNLIMITED}, or {@link #UNKNOWN} (then it passes).
     * @param needed    descriptors the plan needs, headroom included.
     * @return {@code null} when the limit suffices, else one line naming both figures.
     */
    static String fileLimitShortfall(final long softLimit, final long needed) {
        return fileLimitShortfall(softLimit, false, needed);
    }

    /**
     * Compare a limit on open files with what the plan needs.
     *
     * @param limit  the limit, {@link #UNLIMITED}, or {@link #UNKNOWN} (then it passes).
     * @param hard   the limit is the hard one (what {@code bin/weir} raises the soft one to), else the soft one.
     * @param needed descriptors the plan needs, headroom included.
     * @return {@code null} when the limit suffices, else one line naming both figures.
     */
    static String fileLimitShortfall(final long limit, final boolean hard, final long needed) {
        if (limit == UNKNOWN || limit >= needed) {
            return null;
        }
        return "the limit on open files (RLIMIT_NOFILE, " + (hard ? "hard" : "soft") + ") is " + limit
            + " but the plan needs " + needed + " file descriptors; raise it (ulimit -n, LimitNOFILE=) or lower"
            + " connections";
    }

    /**
     * Read the soft limit on open files.
     *
     * @param limits a file in the format of {@code /proc/self/limits}.
     * @return the soft limit, {@link #UNLIMITED}, or {@link #UNKNOWN} when the file or the line is missing.
     */
    static long softFileLimit(final Path limits) {
        return fileLimit(limits, 0);
    }

    /**
     * Read the hard limit on open files: what {@code bin/weir} raises the soft one to before the serving JVM.
     *
     * @param limits a file in the format of {@code /proc/self/limits}.
     * @return the hard limit, {@link #UNLIMITED}, or {@link #UNKNOWN} when the file or the line is missing.
     */
    static long hardFileLimit(final Path limits) {
        return fileLimit(limits, 1);
    }

    /** @param column 0 for the soft limit, 1 for the hard one. */
    private static long fileLimit(final Path limits, final int column) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(limits, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return UNKNOWN;
        }
        for (final String line : lines) {
            if (line.startsWith("Max open files")) {
                final String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                if (fields.length <= column) {
                    return UNKNOWN;
                }
                if (fields[column].equals("unlimited")) {
                    return UNLIMITED;
                }
                try {
                    return Long.parseLong(fields[column]);
                } catch (final NumberFormatException e) {
                    return UNKNOWN;
                }
            }
        }
        return UNKNOWN;
    }

    private static String last(final List<String> args, final String prefix) {
        String found = null;
        for (final String arg : args) {
            if (arg.startsWith(prefix)) {
                found = arg;
            }
        }
        return found;
    }

    private static String lastOf(final List<String> args, final String on, final String off) {
        String found = null;
        for (final String arg : args) {
            if (arg.equals(on) || arg.equals(off)) {
                found = arg;
            }
        }
        return found;
    }

    private static String flagName(final String prefix) {
        return prefix.endsWith("=") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /** A JVM size: digits with an optional k, m, g or t (either case); -1 when it is not one. */
    private static long jvmSize(final String text) {
        final String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            return -1;
        }
        final char unit = t.charAt(t.length() - 1);
        final long multiplier = unit == 'k' ? Sizes.KIB : unit == 'm' ? Sizes.MIB : unit == 'g' ? Sizes.GIB
            : unit == 't' ? Sizes.TIB : 1;
        final String digits = multiplier == 1 ? t : t.substring(0, t.length() - 1);
        try {
            return Math.multiplyExact(Long.parseLong(digits), multiplier);
        } catch (final NumberFormatException | ArithmeticException e) {
            return -1;
        }
    }
}
