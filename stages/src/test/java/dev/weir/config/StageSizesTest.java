package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StageSizesTest {

    @Test
    void shouldCountOneOriginSocketPerSlotWhenMaxConnectionsIsZero() {
        final WeirConfig config = WeirConfig.builder().connections(1024).build();
        // 1024 client sockets + 1024 origin sockets + the listening socket.
        assertEquals(2049, StageSizes.socketCount(config));
    }

    @Test
    void shouldCountAFixedOriginPool() {
        final WeirConfig config = WeirConfig.builder().connections(100).upstreamMaxConnections(10).build();
        assertEquals(111, StageSizes.socketCount(config));
    }

    @Test
    void shouldCountOneActiveCheckSocketPerCheckedServerInSocketsAndDescriptors() {
        final String yaml = "connections: 100\nupstream: {max-connections: 10}\nupstreams:\n"
            + "  a: {default: true, servers: [127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3], health: {path: /h}}\n"
            + "  b: {servers: [127.0.0.1:4]}\n";
        final WeirConfig config = ConfigLoader.readYaml(yaml, "t", WeirConfig.builder()).build();
        // 100 client sockets + 10 origin sockets + 3 check sockets (group a) + the listening socket.
        assertEquals(114, StageSizes.socketCount(config));
        // Per stage thread: the selector's epoll and eventfd descriptors and the wake pipe's two ends; a fused
        // thread (the default) also holds upstream's wake pipe.
        assertEquals(114 + 4 * StageSizes.stageThreads(config) + 2 * StageSizes.fusedThreads(config)
            + StageSizes.JVM_FD_HEADROOM,
            StageSizes.fileDescriptorCount(config));
        // Clients: 2x32k rcv + 2x64k snd; origins: 2x64k rcv + 2x16k snd; checks and listener: 2x32k + 2x16k.
        final long overhead = StageSizes.SOCKET_OVERHEAD_BYTES;
        assertEquals(100 * (192 * 1024 + overhead) + 10 * (160 * 1024 + overhead) + 4 * (96 * 1024 + overhead),
            StageSizes.socketKernelBytes(config));
    }

    @Test
    void shouldSayTheStageDescriptorsAreSelectorsAndWakePipes() {
        final WeirConfig config = WeirConfig.builder().connections(1024).build();
        final int stageFds = StageSizes.SELECTOR_FDS_PER_STAGE_THREAD * StageSizes.stageThreads(config)
            + 2 * StageSizes.fusedThreads(config);
        assertTrue(StageSizes.fileDescriptorLine(config).contains(" sockets + " + stageFds + " for the selectors and"
            + " wake pipes of " + StageSizes.stageThreads(config) + " stage threads + "),
            StageSizes.fileDescriptorLine(config));
    }

    @Test
    void shouldCountAFusedParseAndUpstreamPairAsOneThreadWithTwoWakePipes() {
        final WeirConfig separate = WeirConfig.builder().connections(100).parseThreads(2).upstreamThreads(2)
            .fuseParseUpstream(false).build();
        final WeirConfig fused = separate.toBuilder().fuseParseUpstream(true).build();
        // auto, the default, fuses equal counts.
        assertEquals(StageSizes.stageThreads(fused),
            StageSizes.stageThreads(separate.toBuilder().fuseParseUpstream("auto").build()));
        // Accept, two parse, two upstream, one write; fused: accept, two parse-upstream, one write.
        assertEquals(6, StageSizes.stageThreads(separate));
        assertEquals(4, StageSizes.stageThreads(fused));
        assertEquals(StageSizes.threadStacksBytes(separate) - 2 * fused.threadStackBytes(),
            StageSizes.threadStacksBytes(fused));
        assertEquals(StageSizes.pretouchedStackBytes(separate) - 2 * fused.stackPretouchBytes(),
            StageSizes.pretouchedStackBytes(fused));
        // A fused thread has one selector (epoll and eventfd) and both stages' wake pipes: 6 descriptors, not 8.
        assertEquals(StageSizes.fileDescriptorCount(separate) - 2 * 2, StageSizes.fileDescriptorCount(fused));
        // Both inboxes stay: the rings are the same.
        assertEquals(StageSizes.ringCount(separate), StageSizes.ringCount(fused));
    }

    @Test
    void shouldPlanTheResponseBufferOnTheResponsePathOnly() {
        final WeirConfig small = WeirConfig.builder().connections(10).build();
        final WeirConfig large = small.toBuilder().socketResponseBufferBytes(128 * 1024).build();
        // 64k more per socket, doubled by the kernel, on every client and every origin socket, none elsewhere.
        assertEquals((10 + 10) * 2 * 64 * 1024,
            StageSizes.socketKernelBytes(large) - StageSizes.socketKernelBytes(small));
        assertEquals(StageSizes.kernelBytesPerOtherSocket(small), StageSizes.kernelBytesPerOtherSocket(large));
    }

    @Test
    void shouldResolveTheRingToTwiceTheSlotsRoundedUpToAPowerOfTwo() {
        assertEquals(2, WeirConfig.builder().connections(1).build().ringSize());
        assertEquals(2048, WeirConfig.builder().connections(1024).build().ringSize());
        assertEquals(4096, WeirConfig.builder().connections(1025).build().ringSize());
    }
}
