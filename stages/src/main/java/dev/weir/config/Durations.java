package dev.weir.config;

/**
 * Durations written with a unit, as in {@code conf/weir.yaml} and on the command line.
 * <p>
 * A duration is a whole number followed by a unit, case-insensitive: {@code ms} (milliseconds), {@code s}
 * (seconds) or {@code m} (minutes), e.g. {@code 500ms}, {@code 10s}, {@code 2m}. A bare number is rejected:
 * {@code 10} could mean seconds or milliseconds, a factor of 1000 in every timeout.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class Durations {

    /** One second in milliseconds. */
    public static final long SECOND_MS = 1000;
    /** One minute in milliseconds. */
    public static final long MINUTE_MS = 60 * SECOND_MS;
    /** One hour in milliseconds. */
    public static final long HOUR_MS = 60 * MINUTE_MS;

    private Durations() {
    }

    /**
     * Parse a duration with a unit.
     *
     * @param key  the key being read, named in the exception.
     * @param text the value, e.g. {@code 500ms}, {@code 10s}, {@code 2m}.
     * @return the duration in milliseconds, zero or more.
     * @throws ConfigException when the text has no unit, an unknown unit, is negative or overflows.
     */
    public static long parseMs(final String key, final String text) {
        return UnitValues.parse(key, text, "a duration", "500ms, 10s, 2m", "ms, s or m", Durations::multiplierMs);
    }

    /**
     * Format a duration the way it is written in configuration: the largest unit that divides it exactly.
     *
     * @param ms a duration in milliseconds.
     * @return e.g. {@code 2m}, {@code 10s}, {@code 500ms}; always with a unit.
     */
    public static String format(final long ms) {
        if (ms != 0 && ms % MINUTE_MS == 0) {
            return ms / MINUTE_MS + "m";
        }
        if (ms != 0 && ms % SECOND_MS == 0) {
            return ms / SECOND_MS + "s";
        }
        return ms + "ms";
    }

    private static long multiplierMs(final String unit) {
        switch (unit) {
            case "ms":
                return 1;
            case "s":
                return SECOND_MS;
            case "m":
                return MINUTE_MS;
            default:
                return 0;
        }
    }
}
