package dev.weir.config;

import java.util.Locale;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a configuration value written as a whole number and a unit ({@code 16k}, {@code 500ms}): the one
 * grammar and the one set of messages behind {@link Sizes} and {@link Durations}.
 * <p>
 * <b>Note:</b> stateless and thread-safe; startup only.
 */
final class UnitValues {

    private static final Pattern NUMBER_AND_UNIT = Pattern.compile("(-?)(\\d+)\\s*([a-zA-Z]*)");

    private UnitValues() {
    }

    /**
     * @param key        the key being read, named in the exception.
     * @param text       the value.
     * @param what       what the value is, e.g. {@code "a size"}.
     * @param examples   examples for the message, e.g. {@code "16k, 64m, 2g"}.
     * @param units      the units for the message, e.g. {@code "b, k, m, g or t"}.
     * @param multiplier a unit (lower case) to its multiplier, or 0 for an unknown unit.
     * @return the value times its unit's multiplier, zero or more.
     * @throws ConfigException when the text has no unit, an unknown unit, is negative or overflows.
     */
    static long parse(final String key, final String text, final String what, final String examples,
        final String units, final ToLongFunction<String> multiplier) {
        final Matcher m = NUMBER_AND_UNIT.matcher(text.trim());
        if (!m.matches()) {
            throw new ConfigException(key, "must be " + what + " with a unit, e.g. " + examples + " (got '" + text
                + "')");
        }
        if (m.group(3).isEmpty()) {
            throw new ConfigException(key, "must be " + what + " with a unit, e.g. " + examples
                + "; a bare number is ambiguous (got '" + text + "')");
        }
        final long unit = multiplier.applyAsLong(m.group(3).toLowerCase(Locale.ROOT));
        if (unit == 0) {
            throw new ConfigException(key, "has an unknown unit '" + m.group(3) + "'; use " + units + " (got '"
                + text + "')");
        }
        if (!m.group(1).isEmpty()) {
            throw new ConfigException(key, "must not be negative (got '" + text + "')");
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(2)), unit);
        } catch (final ArithmeticException | NumberFormatException e) {
            throw new ConfigException(key, "is too large (got '" + text + "')");
        }
    }
}
