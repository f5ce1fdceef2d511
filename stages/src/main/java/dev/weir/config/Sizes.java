package dev.weir.config;

/**
 * Byte sizes written with a unit, as in {@code conf/weir.yaml} and on the command line.
 * <p>
 * A size is a whole number followed by a binary unit, case-insensitive: {@code b}; {@code k}, {@code kb},
 * {@code kib} (1024); {@code m}, {@code mb}, {@code mib}; {@code g}, {@code gb}, {@code gib}; {@code t},
 * {@code tb}, {@code tib}. A bare number is rejected: {@code 16384} could mean bytes or KiB, and a
 * misread unit is a factor of 1024 in the memory plan.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class Sizes {

    /** One KiB in bytes. */
    public static final long KIB = 1024;
    /** One MiB in bytes. */
    public static final long MIB = 1024 * KIB;
    /** One GiB in bytes. */
    public static final long GIB = 1024 * MIB;
    /** One TiB in bytes. */
    public static final long TIB = 1024 * GIB;

    private Sizes() {
    }

    /**
     * Parse a size with a unit.
     *
     * @param key  the key being read, named in the exception.
     * @param text the value, e.g. {@code 16k}, {@code 64m}, {@code 2g}, {@code 512kb}.
     * @return the size in bytes, zero or more.
     * @throws ConfigException when the text has no unit, an unknown unit, is negative or overflows.
     */
    public static long parse(final String key, final String text) {
        return UnitValues.parse(key, text, "a size", "16k, 64m, 2g", "b, k, m, g or t", Sizes::multiplier);
    }

    /**
     * Format a size the way it is written in configuration and JVM flags: the largest exact unit.
     *
     * @param bytes a size in bytes.
     * @return e.g. {@code 2g}, {@code 64m}, {@code 16k}, or the bare byte count when no unit divides it.
     */
    public static String format(final long bytes) {
        if (bytes != 0 && bytes % GIB == 0) {
            return bytes / GIB + "g";
        }
        if (bytes != 0 && bytes % MIB == 0) {
            return bytes / MIB + "m";
        }
        if (bytes != 0 && bytes % KIB == 0) {
            return bytes / KIB + "k";
        }
        return Long.toString(bytes);
    }

    /**
     * Format a size for configuration text; unlike {@link #format(long)} never a bare number.
     *
     * @param bytes a size in bytes.
     * @return e.g. {@code 16k}, or {@code 100b}.
     */
    public static String formatWithUnit(final long bytes) {
        final String text = format(bytes);
        return Character.isDigit(text.charAt(text.length() - 1)) ? text + "b" : text;
    }

    private static long multiplier(final String unit) {
        switch (unit) {
            case "b":
                return 1;
            case "k":
            case "kb":
            case "kib":
                return KIB;
            case "m":
            case "mb":
            case "mib":
                return MIB;
            case "g":
            case "gb":
            case "gib":
                return GIB;
            case "t":
            case "tb":
            case "tib":
                return TIB;
            default:
                return 0;
        }
    }
}
