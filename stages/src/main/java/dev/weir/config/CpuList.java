package dev.weir.config;

import java.util.Arrays;

import dev.weir.arena.CpuAffinity;

/**
 * A list of CPUs written as the kernel writes {@code Cpus_allowed_list}: numbers and inclusive ranges joined by
 * commas, e.g. {@code 0-3,6}; {@code none} for no list.
 * <p>
 * <b>Note:</b> stateless and thread-safe; startup only.
 */
public final class CpuList {

    /** The word for no list. */
    public static final String NONE = "none";

    private static final int[] EMPTY = new int[0];

    private CpuList() {
    }

    /**
     * @param key  the configuration key, for the message.
     * @param text the list, e.g. {@code 0-3,6}, or {@code none}.
     * @return the CPUs in the order written, ranges expanded; empty for {@code none}.
     * @throws ConfigException naming the key when the text is not a list, a CPU repeats or lies beyond
     *     {@link CpuAffinity#MAX_CPUS}.
     */
    public static int[] parse(final String key, final String text) {
        if (NONE.equals(text)) {
            return EMPTY;
        }
        final boolean[] seen = new boolean[CpuAffinity.MAX_CPUS];
        int[] cpus = new int[8];
        int count = 0;
        for (final String part : text.split(",", -1)) {
            final int dash = part.indexOf('-');
            final int first = number(key, text, dash < 0 ? part : part.substring(0, dash));
            final int last = dash < 0 ? first : number(key, text, part.substring(dash + 1));
            if (last < first) {
                throw invalid(key, text, "range " + part + " runs backwards");
            }
            for (int cpu = first; cpu <= last; cpu++) {
                if (seen[cpu]) {
                    throw invalid(key, text, "CPU " + cpu + " is listed twice");
                }
                seen[cpu] = true;
                if (count == cpus.length) {
                    cpus = Arrays.copyOf(cpus, count * 2);
                }
                cpus[count++] = cpu;
            }
        }
        return Arrays.copyOf(cpus, count);
    }

    /**
     * @param key     the configuration key, for the message.
     * @param wanted  the CPUs asked for.
     * @param allowed the process's allowed set as the kernel writes it, or {@code null} when unknown.
     * @throws ConfigException naming the key and the allowed set when a wanted CPU is not in it.
     */
    public static void checkAllowed(final String key, final int[] wanted, final String allowed) {
        if (allowed == null || wanted.length == 0) {
            return;
        }
        final int[] permitted = parse("Cpus_allowed_list", allowed);
        for (final int cpu : wanted) {
            boolean found = false;
            for (final int p : permitted) {
                found |= p == cpu;
            }
            if (!found) {
                throw new ConfigException(key, "CPU " + cpu + " is not in this process's allowed set " + allowed
                    + " (Cpus_allowed_list)");
            }
        }
    }

    private static int number(final String key, final String text, final String digits) {
        if (digits.isEmpty() || digits.length() > 4 || !digits.chars().allMatch(Character::isDigit)) {
            throw invalid(key, text, "'" + digits + "' is not a CPU number");
        }
        final int cpu = Integer.parseInt(digits);
        if (cpu >= CpuAffinity.MAX_CPUS) {
            throw invalid(key, text, "CPU " + cpu + " is beyond " + (CpuAffinity.MAX_CPUS - 1));
        }
        return cpu;
    }

    private static ConfigException invalid(final String key, final String text, final String why) {
        return new ConfigException(key, "must be a CPU list like 0-3,6, or none: " + why + " (got '" + text + "')");
    }
}
