package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import dev.weir.arena.plan.MemoryPlan;
import org.junit.jupiter.api.Test;

class AutoSizerTest {

    private static final long MIB = 1024L * 1024;
    private static final long GIB = 1024 * MIB;

    @Test
    void shouldUseMostOfTwoGibWithoutExceedingIt() {
        final WeirConfig config = AutoSizer.fit(WeirConfig.builder().build(), 2 * GIB);
        final long total = PlanBuilder.build(config).totalBytes();
        assertTrue(total <= 2 * GIB, "total " + total);
        assertTrue(total >= 2 * GIB * 9 / 10, "total " + total);
        // One more connection would not fit: the search found the largest count.
        final long oneMore = PlanBuilder.build(AutoSizer.withConnections(config, config.connections() + 1))
            .totalBytes();
        assertTrue(oneMore > 2 * GIB, "one more connection still fits: " + oneMore);
    }

    /** A derived heap is a whole number of the JVM's 2 MiB alignment, so the budget holds for what it commits. */
    @Test
    void shouldDeriveAHeapTheJvmDoesNotRoundUp() {
        final WeirConfig config = AutoSizer.fit(WeirConfig.builder().build(), 3 * GIB);
        assertEquals(0, config.heapBytes() % StageSizes.HEAP_ALIGNMENT_BYTES, "heap " + config.heapBytes());
        assertTrue(PlanBuilder.build(config).totalBytes() <= 3 * GIB);
    }

    @Test
    void shouldGrowTheHeapWhenSlotsAndRingsNeedIt() {
        final WeirConfig config = AutoSizer.fit(WeirConfig.builder().build(), 64 * GIB);
        assertTrue(config.heapBytes() >= StageSizes.heapRequiredBytes(config));
        assertTrue(config.heapBytes() > ConfigKeys.DEFAULT_HEAP_BYTES, "heap " + config.heapBytes());
        assertTrue(PlanBuilder.build(config).totalBytes() <= 64 * GIB);
        assertTrue(PlanBuilder.build(config).totalBytes() >= 64 * GIB * 9 / 10);
    }

    @Test
    void shouldResetAFixedRingSizeToFitTheDerivedConnections() {
        final WeirConfig config = ConfigLoader.load(null, Map.of("ring-size", "2048", "memory.budget", "1g"));
        assertTrue(config.ringSize() >= 2 * config.connections());
        assertEquals(1, Integer.bitCount(config.ringSize()));
    }

    @Test
    void shouldKeepAFixedOriginPoolWithinTheDerivedSlots() {
        final WeirConfig config = ConfigLoader.load(null, Map.of("upstream.max-connections", "16",
            "memory.budget", "1g"));
        assertEquals(16, config.upstreamConnections());
        assertTrue(config.connections() >= 16, "connections " + config.connections());
        // A fixed origin pool leaves each slot only its client socket: more slots fit than with one each.
        final WeirConfig perSlot = ConfigLoader.load(null, Map.of("memory.budget", "1g"));
        assertTrue(config.connections() > perSlot.connections(), config.connections() + " vs "
            + perSlot.connections());
    }

    @Test
    void shouldNotDeriveMoreConnectionsThanABlockPoolHolds() {
        final WeirConfig config = AutoSizer.fit(WeirConfig.builder().build(), 1024 * GIB);
        assertEquals(ConfigKeys.MAX_CONNECTIONS, config.connections());
        assertEquals(1 << 20, config.connections());
        assertTrue(PlanBuilder.build(config).totalBytes() <= 1024 * GIB);
    }

    @Test
    void shouldFitABudgetWithTheAccessLogOnThoughHugeCountsBreakItsCaptureCap() {
        final WeirConfig config = ConfigLoader.load(null, Map.of("access-log.path", "/tmp/weir-access.log",
            "access-log.format", "combined", "memory.budget", "512m"));
        assertTrue(config.connections() > 1, "connections " + config.connections());
        assertTrue(PlanBuilder.build(config).totalBytes() <= 512 * MIB);
    }

    @Test
    void shouldRejectBudgetTooSmallForOneConnection() {
        final ConfigException e = assertThrows(ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("memory.budget", "100m")));
        assertEquals("memory.budget", e.key());
        assertTrue(e.getMessage().contains("must be at least"), e.getMessage());
        assertTrue(e.getMessage().contains(MemoryPlan.human(PlanBuilder.build(
            AutoSizer.withConnections(WeirConfig.builder().build(), 1)).totalBytes())), e.getMessage());
    }
}
