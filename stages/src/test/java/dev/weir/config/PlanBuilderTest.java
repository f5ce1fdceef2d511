package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.arena.plan.PlanItem;
import org.junit.jupiter.api.Test;

class PlanBuilderTest {

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    /** A sample configuration whose plan is computed by hand below. */
    private static WeirConfig sample() {
        return WeirConfig.builder()
            .connections(100)
            .ringSize(256)
            .parseThreads(1)
            .parseBufferBytes(8 * 1024)
            .upstreamMaxConnections(10)
            .upstreamThreads(2)
            .upstreamBufferBytes(16 * 1024)
            .writeThreads(1)
            .socketReceiveBufferBytes(8 * 1024)
            .socketSendBufferBytes(8 * 1024)
            .socketResponseBufferBytes(16 * 1024)
            .heapBytes(64 * MIB)
            .threadStackBytes(256 * KIB)
            .metaspaceBytes(32 * MIB)
            .codeCacheBytes(16 * MIB)
            .directMemoryBytes(8 * MIB)
            .jvmOverheadBytes(32 * MIB)
            .build();
    }

    @Test
    void shouldMatchHandComputedTotalForSampleConfiguration() {
        // arena accept    1 thread x 4 KiB scratch                        =       4,096
        // arena parse     100 connections x 8 KiB + 1 x 4 KiB             =     823,296
        // arena upstream  100 connections x 16 KiB + 2 x 4 KiB            =   1,646,592
        // arena write     1 thread x 4 KiB scratch                        =       4,096
        // java heap       64 MiB                                          =  67,108,864
        // stacks touched  (1 accept + 1 parse + 2 upstream + 1 write) = 5 x (256 KiB - 128 KiB) =   655,360
        // thread stacks   (5 stage + 16 JVM) = 21 x 256 KiB - 655,360 = 5,505,024 - 655,360 = 4,849,664
        // metaspace       32 MiB                                          =  33,554,432
        // code cache      16 MiB                                          =  16,777,216
        // direct memory   8 MiB                                           =   8,388,608
        // jvm overhead    32 MiB                                          =  33,554,432
        // socket buffers  100 clients x (2 x 8 KiB rcv + 2 x 16 KiB snd + 4 KiB) = 53,248    = 5,324,800
        //                 + 10 origins x (2 x 16 KiB rcv + 2 x 8 KiB snd + 4 KiB) = 53,248  =   532,480
        //                 + 1 listener x (2 x 8 KiB + 2 x 8 KiB + 4 KiB) = 36,864           =    36,864
        //                                                                 =   5,894,144
        // large send buffers  8 grants x 2 x (1 MiB - 16 KiB)             =  16,515,072
        // total                                                           = 189,775,872
        // in heap, not added: rings (1 + 2 + 1 + 1) = 5 x 256 x 32 B = 40,960;
        //                     slots 100 x (2 KiB + 100 fields x 48 B) = 684,800
        final MemoryPlan plan = PlanBuilder.build(sample());

        assertEquals(4_096, plan.row(PlanBuilder.ARENA_ACCEPT).bytes());
        assertEquals(823_296, plan.row(PlanBuilder.ARENA_PARSE).bytes());
        assertEquals(1_646_592, plan.row(PlanBuilder.ARENA_UPSTREAM).bytes());
        assertEquals(4_096, plan.row(PlanBuilder.ARENA_WRITE).bytes());
        assertEquals(67_108_864, plan.row(PlanBuilder.HEAP).bytes());
        assertEquals(655_360, plan.row(PlanBuilder.STACKS_TOUCHED).bytes());
        assertEquals(4_849_664, plan.row(PlanBuilder.THREAD_STACKS).bytes());
        assertEquals(5_894_144, plan.row(PlanBuilder.SOCKET_BUFFERS).bytes());
        assertEquals(40_960, plan.row(PlanBuilder.RINGS).bytes());
        assertEquals(684_800, plan.row(PlanBuilder.SLOTS).bytes());
        assertEquals(PlanItem.Kind.IN_HEAP, plan.row(PlanBuilder.RINGS).kind());
        assertEquals(PlanItem.Kind.KERNEL, plan.row(PlanBuilder.SOCKET_BUFFERS).kind());

        assertEquals(16_515_072, plan.row(PlanBuilder.LARGE_SEND_BUFFERS).bytes());
        assertEquals(189_775_872L, plan.totalBytes());
        assertEquals(4_096 + 823_296 + 1_646_592 + 4_096 + 67_108_864L + 655_360, plan.committedBytes());
    }

    @Test
    void shouldCountTheAdminListenersThreadsOnlyWhenItIsOn() {
        final WeirConfig off = WeirConfig.builder().build();
        final WeirConfig on = WeirConfig.builder().adminListen("127.0.0.1", 9901).build();
        assertEquals(StageSizes.threadStacksBytes(off) + StageSizes.ADMIN_THREADS * off.threadStackBytes(),
            StageSizes.threadStacksBytes(on));
        assertEquals(PlanBuilder.build(off).totalBytes() + StageSizes.ADMIN_THREADS * off.threadStackBytes(),
            PlanBuilder.build(on).totalBytes());
    }

    @Test
    void shouldPlanGrownSendBuffersOnlyWhenGrantsAreConfigured() {
        final WeirConfig off = WeirConfig.builder().connections(16).largeResponseBufferCount(0).build();
        final WeirConfig on = WeirConfig.builder().connections(16).socketResponseBufferBytes(64 * 1024)
            .largeResponseBufferBytes(1024 * 1024).largeResponseBufferCount(40).build();
        assertThrows(IllegalArgumentException.class,
            () -> PlanBuilder.build(off).row(PlanBuilder.LARGE_SEND_BUFFERS), "a row with no grants");
        // At most one grant per connection; the kernel doubles SO_SNDBUF, so each grows by 2 x (1 MiB - 64 KiB).
        final long grown = 16 * 2L * (1024 * 1024 - 64 * 1024);
        assertEquals(grown, PlanBuilder.build(on).row(PlanBuilder.LARGE_SEND_BUFFERS).bytes());
        assertEquals(PlanBuilder.build(on.toBuilder().largeResponseBufferCount(0).build()).totalBytes() + grown,
            PlanBuilder.build(on).totalBytes());
    }

    @Test
    void shouldRefuseALargeResponseBufferNoLargerThanThePlannedOne() {
        final ConfigException refused = assertThrows(ConfigException.class,
            () -> WeirConfig.builder().socketResponseBufferBytes(1024 * 1024).largeResponseBufferBytes(1024 * 1024)
                .largeResponseBufferCount(4).build());
        assertEquals("socket.large-response-buffer", refused.key());
    }

    @Test
    void shouldKeepDefaultPlanLaptopSized() {
        final MemoryPlan plan = PlanBuilder.build(WeirConfig.builder().build());
        // A few hundred MiB at most: the default must start on a laptop. Most of it is the kernel's share of
        // 2 x 1024 + 1 sockets (every slot may hold an origin connection), an upper bound an idle proxy never uses.
        assertEquals(true, plan.totalBytes() < 680 * MIB, plan.render());
    }

    @Test
    void shouldDeriveJvmFlagsFromThePlan() {
        assertEquals("-Xms64m -Xmx64m -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages -Xss256k"
            + " -XX:MaxMetaspaceSize=32m -XX:ReservedCodeCacheSize=16m -XX:MaxDirectMemorySize=8m -XX:AutoBoxCacheMax="
            + StageSizes.fileDescriptorCount(sample()) + " -XX:+UseSerialGC"
            + " -XX:+ExitOnOutOfMemoryError -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0",
            String.join(" ", JvmFlags.of(sample())));
    }

    /** The JVM rounds the heap up to 2 MiB: the flags ask for, and the plan counts, what it will commit. */
    @Test
    void shouldAskForAndCountTheHeapTheJvmCommitsForAnOddSize() {
        final WeirConfig c = sample().toBuilder().heapBytes(41L * 1024 * 1024).build();
        assertTrue(JvmFlags.of(c).containsAll(List.of("-Xms42m", "-Xmx42m")), JvmFlags.of(c).toString());
        assertEquals(42L * 1024 * 1024, PlanBuilder.build(c).row(PlanBuilder.HEAP).bytes());
        final WeirConfig even = sample().toBuilder().heapBytes(64L * 1024 * 1024).build();
        assertTrue(JvmFlags.of(even).contains("-Xmx64m"), JvmFlags.of(even).toString());
    }

    @Test
    void shouldCacheABoxForEveryDescriptorAndCountItInTheHeap() {
        final WeirConfig c = sample();
        final long descriptors = StageSizes.fileDescriptorCount(c);
        assertEquals(descriptors, StageSizes.integerCacheMax(c));
        assertEquals((descriptors - 127) * 20, StageSizes.integerCacheHeapBytes(c));
        final WeirConfig big = WeirConfig.builder().connections(100_000).upstreamMaxConnections(64)
            .heapBytes(1024L * 1024 * 1024).build();
        assertEquals(StageSizes.fileDescriptorCount(big), StageSizes.integerCacheMax(big));
        assertEquals(true, StageSizes.heapRequiredBytes(big) - StageSizes.integerCacheHeapBytes(big)
            == StageSizes.HEAP_BASELINE_BYTES + StageSizes.ringsHeapBytes(big) + StageSizes.slotTableHeapBytes(big));
    }
}
