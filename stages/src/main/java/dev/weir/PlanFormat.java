package dev.weir;

import java.util.Locale;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.config.Sizes;
import dev.weir.config.StageSizes;
import dev.weir.config.WeirConfig;

/**
 * The figures a deployment needs, computed from the memory plan so they cannot drift from it: what
 * {@code bin/weir --plan --format k8s} and {@code --format systemd} print.
 * <p>
 * Memory is the plan total rounded up to a whole MiB, never below the plan (Kubernetes {@code Mi} and systemd
 * {@code M} are both 2^20 bytes). Cores are the stage threads and the access log's thread, one each, so a CPU
 * quota never throttles a thread that has work. File descriptors are the plan's count.
 * <pre>
 * # weir plan (built-in defaults): total 539086848 bytes = 514.1 MiB, rounded up to 515Mi; 4 stage threads
 * resources:
 *   requests:
 *     cpu: "4"
 *     memory: 515Mi
 *   limits:
 *     cpu: "4"
 *     memory: 515Mi
 * </pre>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class PlanFormat {

    /** The plan table and the file-descriptor line, as {@code --plan} printed it before formats existed. */
    public static final String TEXT = "text";
    /** A Kubernetes container {@code resources} block, requests equal to limits (QoS class Guaranteed). */
    public static final String K8S = "k8s";
    /** {@code [Service]} lines of a systemd unit: the memory and open-file limits. */
    public static final String SYSTEMD = "systemd";

    private PlanFormat() {
    }

    /**
     * @param format a {@code --format} value.
     * @return {@code true} when it is one of {@link #TEXT}, {@link #K8S} and {@link #SYSTEMD}.
     */
    public static boolean isKnown(final String format) {
        return TEXT.equals(format) || K8S.equals(format) || SYSTEMD.equals(format);
    }

    /**
     * @param plan a memory plan.
     * @return its total in whole MiB, rounded up.
     */
    public static long memoryMib(final MemoryPlan plan) {
        return (plan.totalBytes() + Sizes.MIB - 1) / Sizes.MIB;
    }

    /**
     * @param config a configuration.
     * @return the cores it is given: one per stage thread.
     */
    public static int cores(final WeirConfig config) {
        return StageSizes.stageThreads(config) + StageSizes.logThreads(config);
    }

    /**
     * The Kubernetes {@code resources} block, a YAML document of its own with a comment saying where its figures
     * come from; indent it under the container.
     *
     * @param config the configuration.
     * @param plan   its plan.
     * @param source where the configuration came from, e.g. a file name.
     * @return the block, lines ending in {@code \n}.
     */
    public static String k8s(final WeirConfig config, final MemoryPlan plan, final String source) {
        final String memory = memoryMib(plan) + "Mi";
        final String cpu = "\"" + cores(config) + "\"";
        return String.format(Locale.ROOT, "# weir plan (%s): total %d bytes = %s, rounded up to %s; %d stage threads%s,"
            + " one core each\n"
            + "# requests equal limits for cpu and memory: the pod's QoS class is Guaranteed\n"
            + "resources:\n"
            + "  requests:\n    cpu: %s\n    memory: %s\n"
            + "  limits:\n    cpu: %s\n    memory: %s\n",
            source, plan.totalBytes(), MemoryPlan.human(plan.totalBytes()), memory, StageSizes.stageThreads(config),
            config.accessLogOn() ? " and the access log's" : "", cpu, memory, cpu, memory);
    }

    /**
     * The {@code [Service]} lines of a systemd unit that bound the process to its plan.
     *
     * @param config the configuration.
     * @param plan   its plan.
     * @param source where the configuration came from.
     * @return the lines, each ending in {@code \n}; comments start with {@code #}.
     */
    public static String systemd(final WeirConfig config, final MemoryPlan plan, final String source) {
        return String.format(Locale.ROOT, "# weir plan (%s): total %d bytes = %s, rounded up to %dM;"
            + " %d file descriptors\n"
            + "# swap would turn the committed plan into page faults: none; LimitMEMLOCK lets --lock-memory mlock\n"
            + "MemoryMax=%dM\n"
            + "MemorySwapMax=0\n"
            + "LimitNOFILE=%d\n"
            + "LimitMEMLOCK=infinity\n",
            source, plan.totalBytes(), MemoryPlan.human(plan.totalBytes()), memoryMib(plan),
            StageSizes.fileDescriptorCount(config), memoryMib(plan), StageSizes.fileDescriptorCount(config));
    }
}
