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
    void shouldResolveTheRingToTwiceTheSlotsRoundedUpToAPowerOfTwo() {
        assertEquals(2, WeirConfig.builder().connections(1).build().ringSize());
        assertEquals(2048, WeirConfig.builder().connections(1024).build().ringSize());
        assertEquals(4096, WeirConfig.builder().connections(1025).build().ringSize());
    }
}
