package dev.weir.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags that bound the JVM to a configuration's memory plan, printed by {@code --print-jvm-flags} for
 * {@code bin/weir}.
 * <p>
 * {@code -Xms} = {@code -Xmx} with {@code -XX:+AlwaysPreTouch} makes the heap row committed at startup; the
 * other flags turn the cap rows into limits the JVM enforces. The serial collector has no GC worker threads
 * and the smallest, most predictable native footprint; with a hot path that creates no garbage its pauses
 * are moot. {@code -XX:+ExitOnOutOfMemoryError} ends a process whose plan turned out wrong instead of
 * letting it limp. The Chronicle {@code --add-opens} flags are added by {@code bin/weir}.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class JvmFlags {

    private JvmFlags() {
    }

    /**
     * @param c a validated configuration.
     * @return the flags, in order.
     */
    public static List<String> of(final WeirConfig c) {
        final List<String> flags = new ArrayList<>(10);
        flags.add("-Xms" + Sizes.format(c.heapBytes()));
        flags.add("-Xmx" + Sizes.format(c.heapBytes()));
        flags.add("-XX:+AlwaysPreTouch");
        flags.add("-Xss" + Sizes.format(c.threadStackBytes()));
        flags.add("-XX:MaxMetaspaceSize=" + Sizes.format(c.metaspaceBytes()));
        flags.add("-XX:ReservedCodeCacheSize=" + Sizes.format(c.codeCacheBytes()));
        flags.add("-XX:MaxDirectMemorySize=" + Sizes.format(c.directMemoryBytes()));
        flags.add("-XX:+UseSerialGC");
        flags.add("-XX:+ExitOnOutOfMemoryError");
        return flags;
    }
}
