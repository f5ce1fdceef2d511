package dev.weir.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
        // Per stage thread: the selector's epoll and eventfd descriptors and the wake pipe's two ends.
        assertEquals(114 + 4 * StageSizes.stageThreads(config) + StageSizes.JVM_FD_HEADROOM,
            StageSizes.fileDescriptorCount(config));
        assertEquals(114 * StageSizes.kernelBytesPerSocket(config), StageSizes.socketKernelBytes(config));
    }

    @Test
    void shouldResolveTheRingToTwiceTheSlotsRoundedUpToAPowerOfTwo() {
        assertEquals(2, WeirConfig.builder().connections(1).build().ringSize());
        assertEquals(2048, WeirConfig.builder().connections(1024).build().ringSize());
        assertEquals(4096, WeirConfig.builder().connections(1025).build().ringSize());
    }
}
