package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.support.LoopbackOrigin;

/**
 * {@code accept.reuse-port}: with it two pipelines bind one port; without it the second fails to start with a
 * message naming {@code accept.listen} and the key that would let it share. The two real processes that share a
 * port and both serve are in {@code ReusePortIT}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ListenerReusePortTest {

    private LoopbackOrigin origin;
    private Pipeline first;
    private Pipeline second;

    @BeforeEach
    void startOrigin() throws IOException {
        origin = LoopbackOrigin.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (final Pipeline pipeline : new Pipeline[] {first, second}) {
            if (pipeline != null) {
                pipeline.close();
            }
        }
        origin.close();
    }

    private WeirConfig.Builder config(final int port) {
        return WeirConfig.builder().listen("127.0.0.1", port).upstream("127.0.0.1", origin.port()).connections(16)
            .parseBufferBytes(4096).upstreamBufferBytes(8192);
    }

    @Test
    void shouldBindTwoPipelinesToOnePortWhenBothSetReusePort() {
        first = Pipeline.start(config(0).reusePort(true).build());
        final int port = first.listenAddress().getPort();
        second = Pipeline.start(config(port).reusePort(true).build());
        assertEquals(port, second.listenAddress().getPort());
    }

    @Test
    void shouldFailTheSecondPipelineNamingTheKeyWhenReusePortIsOff() {
        first = Pipeline.start(config(0).build());
        final int port = first.listenAddress().getPort();
        final UncheckedIOException e = assertThrows(UncheckedIOException.class,
            () -> second = Pipeline.start(config(port).build()));
        assertTrue(e.getCause() instanceof BindException, String.valueOf(e.getCause()));
        assertTrue(e.getMessage().contains("accept.listen 127.0.0.1:" + port + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("set accept.reuse-port: true on every process"), e.getMessage());
    }

    @Test
    void shouldFailWhenOnlyTheSecondPipelineSetsReusePort() {
        first = Pipeline.start(config(0).build());
        final int port = first.listenAddress().getPort();
        final UncheckedIOException e = assertThrows(UncheckedIOException.class,
            () -> second = Pipeline.start(config(port).reusePort(true).build()));
        assertTrue(e.getMessage().contains("every process on the port must set it"), e.getMessage());
    }
}
