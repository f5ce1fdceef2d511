package dev.weir.config;

import dev.weir.arena.plan.MemoryPlan;

/**
 * Derives the connection-slot count (and the heap, when the slots need more) from a memory budget, so that
 * the plan total is at most the budget and uses nearly all of it.
 * <p>
 * Every other key keeps its value: the per-connection costs (buffers, the client socket and, with
 * {@code upstream.max-connections} 0, its origin socket, slot and ring entries) and the fixed ones (JVM caps,
 * overhead, a fixed {@code upstream.max-connections}) come from the configuration. The plan total never
 * decreases as connections grow, so a binary search finds the largest count that fits; what is left over is
 * less than one connection's cost (about 252 KiB at the defaults). The search starts at one connection, or at
 * {@code upstream.max-connections} when that is set, since there may not be fewer slots than origin
 * connections; it ends at {@link ConfigKeys#MAX_CONNECTIONS}, so however large the budget the derived count is
 * one the block pools can hold. {@code ring-size} is reset to automatic because a fixed ring smaller than
 * twice the new slot count would be invalid.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class AutoSizer {

    private AutoSizer() {
    }

    /**
     * Fit a configuration to a budget.
     *
     * @param base        the configuration whose other keys are kept.
     * @param budgetBytes the budget in bytes.
     * @return the configuration with the most connections whose plan total fits the budget.
     * @throws ConfigException on {@code memory.budget} when not even the fewest connections fit.
     */
    public static WeirConfig fit(final WeirConfig base, final long budgetBytes) {
        final int fewest = Math.max(1, base.upstreamMaxConnections());
        final WeirConfig smallest = withConnections(base, fewest);
        final long smallestTotal = PlanBuilder.build(smallest).totalBytes();
        if (smallestTotal > budgetBytes) {
            throw new ConfigException("memory.budget", "must be at least " + MemoryPlan.human(smallestTotal)
                + " for " + fewest + (fewest == 1 ? " connection" : " connections (upstream.max-connections)")
                + " with the other keys as configured (got " + Sizes.formatWithUnit(budgetBytes) + ")");
        }
        int fits = fewest;
        int tooMany = ConfigKeys.MAX_CONNECTIONS + 1;
        while (tooMany - fits > 1) {
            final int mid = fits + (tooMany - fits) / 2;
            if (fitsIn(base, mid, budgetBytes)) {
                fits = mid;
            } else {
                tooMany = mid;
            }
        }
        return withConnections(base, fits);
    }

    /**
     * A count that breaks a per-connection rule (e.g. the access log's capture regions over their cap) is too
     * many as surely as one whose plan is too large: every rule of that kind grows with the count.
     */
    private static boolean fitsIn(final WeirConfig base, final int connections, final long budgetBytes) {
        try {
            return PlanBuilder.build(withConnections(base, connections)).totalBytes() <= budgetBytes;
        } catch (final ConfigException tooMany) {
            return false;
        }
    }

    /**
     * @param base        the configuration whose other keys are kept.
     * @param connections the slot count.
     * @return the configuration with that many connections, an automatic ring size and a heap at least the
     *     configured one and at least what the slots and rings need, rounded up to the JVM's heap alignment.
     */
    static WeirConfig withConnections(final WeirConfig base, final int connections) {
        // A heap large enough for any slot count, only so the heap rule passes while the need is computed.
        final WeirConfig sized = base.toBuilder().connections(connections).ringSize(0)
            .heapBytes(ConfigKeys.MAX_JVM_AREA_BYTES).build();
        final long needed = StageSizes.heapRequiredBytes(sized);
        final long align = StageSizes.HEAP_ALIGNMENT_BYTES;
        final long heap = Math.max(base.heapBytes(), (needed + align - 1) / align * align);
        return sized.toBuilder().heapBytes(heap).build();
    }
}
