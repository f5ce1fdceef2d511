package dev.weir.config;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags that bound the JVM to a configuration's memory plan, printed by {@code --print-jvm-flags} for
 * {@code bin/weir}.
 * <p>
 * {@code -Xms} = {@code -Xmx} with {@code -XX:+AlwaysPreTouch} makes the heap row committed at startup (in
 * transparent huge pages where the host allows them, {@code -XX:+UseTransparentHugePages}); the
 * other flags turn the cap rows into limits the JVM enforces. The serial collector has no GC worker threads
 * and the smallest, most predictable native footprint; with a hot path that creates no garbage its pauses
 * are moot. {@code -XX:+ExitOnOutOfMemoryError} ends a process whose plan turned out wrong instead of
 * letting it limp. The Chronicle {@code --add-exports}/{@code --add-opens} flags are a separate list,
 * {@value #CHRONICLE_FLAGS_RESOURCE}, which {@code bin/weir} reads from the source tree and
 * {@link #chronicle()} from the classpath.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class JvmFlags {

    /** Classpath resource holding the Chronicle flags, one a line; the one copy of that list. */
    public static final String CHRONICLE_FLAGS_RESOURCE = "/dev/weir/chronicle-jvm-flags.txt";

    private JvmFlags() {
    }

    /**
     * @return the flags Chronicle Bytes needs on Java 17, in order, from {@value #CHRONICLE_FLAGS_RESOURCE}
     *     (blank lines and {@code #} comments left out).
     * @throws IllegalStateException when the resource is missing from the classpath (a broken build).
     */
    public static List<String> chronicle() {
        final InputStream in = JvmFlags.class.getResourceAsStream(CHRONICLE_FLAGS_RESOURCE);
        if (in == null) {
            throw new IllegalStateException(CHRONICLE_FLAGS_RESOURCE + " is not on the classpath");
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            final List<String> flags = new ArrayList<>();
            String line;
            while ((line = reader.readLine()) != null) {
                final int hash = line.indexOf('#');
                final String flag = (hash < 0 ? line : line.substring(0, hash)).trim();
                if (!flag.isEmpty()) {
                    flags.add(flag);
                }
            }
            return flags;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param c a validated configuration.
     * @return the flags, in order.
     */
    public static List<String> of(final WeirConfig c) {
        final List<String> flags = new ArrayList<>(14);
        flags.add("-Xms" + Sizes.format(StageSizes.committedHeapBytes(c)));
        flags.add("-Xmx" + Sizes.format(StageSizes.committedHeapBytes(c)));
        flags.add("-XX:+AlwaysPreTouch");
        // The heap in 2 MiB pages where the host's THP setting allows them (madvise or always): every request
        // touches its connection's objects (slot, halves, selection keys, channels), scattered over the heap,
        // and at a thousand connections 4 KiB pages of them no longer fit the TLB. The heap is pre-touched
        // whole anyway, so this commits nothing more; with THP off the JVM keeps 4 KiB pages.
        flags.add("-XX:+UseTransparentHugePages");
        flags.add("-Xss" + Sizes.format(c.threadStackBytes()));
        flags.add("-XX:MaxMetaspaceSize=" + Sizes.format(c.metaspaceBytes()));
        flags.add("-XX:ReservedCodeCacheSize=" + Sizes.format(c.codeCacheBytes()));
        flags.add("-XX:MaxDirectMemorySize=" + Sizes.format(c.directMemoryBytes()));
        // The selector boxes each ready descriptor: with every one cached, that allocates nothing (StageSizes).
        flags.add("-XX:AutoBoxCacheMax=" + StageSizes.integerCacheMax(c));
        flags.add("-XX:+UseSerialGC");
        flags.add("-XX:+ExitOnOutOfMemoryError");
        // No "Cleanup" safepoint every second: with no garbage on the hot path they were nearly all the
        // safepoints, each stopping every stage thread (8-52 ms on a loaded host); the cleanup they do (counter
        // decay, table rehashing checks) waits for the next safepoint something else asks for.
        flags.add("-XX:+UnlockDiagnosticVMOptions");
        flags.add("-XX:GuaranteedSafepointInterval=0");
        return flags;
    }
}
