package dev.weir.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.ConfigKeys;
import dev.weir.config.UpstreamGroupConfig;
import dev.weir.config.WeirConfig;

/**
 * The warm-up runs every shape of exchange through a real pipeline of the configured shape, with every answer as
 * expected, whatever the configuration: the status and body length of each exchange are checked by its client,
 * so a stage that framed one answer wrongly fails here.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmUpTest {

    private static final int EXCHANGES = 2_000;

    private static WeirConfig.Builder base() {
        // The configured origin is never dialled: the warm-up moves every server to its own origin.
        return WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", 9).warmUpExchanges(EXCHANGES);
    }

    private static void assertAllAnswered(final WarmUp.Result result) {
        assertEquals(EXCHANGES, result.exchanges(), result.describe());
        assertEquals(0, result.failed(), result.describe());
        assertNull(result.firstFailure(), result.describe());
        // A new connection every 8 exchanges at the least, and after every close, HTTP/1.0 and 400.
        assertTrue(result.connections() > EXCHANGES / WarmClient.EXCHANGES_PER_CONNECTION, result.describe());
    }

    @Test
    void shouldAnswerEveryExchangeAsExpectedWithTheDefaults() {
        assertAllAnswered(WarmUp.run(base().build()));
    }

    @Test
    void shouldAnswerEveryExchangeWithSeparateStageThreadsAndNoWriteThrough() {
        assertAllAnswered(WarmUp.run(base().fuseParseUpstream(false).writeThrough(false).build()));
    }

    @Test
    void shouldAnswerEveryExchangeWithTheAccessLogOnWritingNothingToItsFile() throws IOException {
        final Path log = Files.createTempFile("weir-warm", ".log");
        try {
            assertAllAnswered(WarmUp.run(base().accessLogPath(log.toString()).build()));
            assertEquals(0, Files.size(log), "the warm-up's lines are not the operator's");
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void shouldAnswerEveryExchangeThroughAGroupOfTwoServersWithAnActiveCheck() {
        final UpstreamGroupConfig group = new UpstreamGroupConfig("api", List.of(
            new UpstreamGroupConfig.Server("127.0.0.1", 9, 2, "upstreams.api.servers[0]"),
            new UpstreamGroupConfig.Server("127.0.0.1", 10, 1, "upstreams.api.servers[1]")),
            UpstreamGroupConfig.LEAST_CONNECTIONS, true, UpstreamGroupConfig.NOT_SET, UpstreamGroupConfig.NOT_SET, -1,
            "/healthz", UpstreamGroupConfig.NOT_SET, UpstreamGroupConfig.NOT_SET, UpstreamGroupConfig.NOT_SET,
            UpstreamGroupConfig.NOT_SET);
        assertAllAnswered(WarmUp.run(base().upstreamGroups(List.of(group)).build()));
    }

    @Test
    void shouldUploadNoMoreThanTheBodyLimitAllows() {
        assertAllAnswered(WarmUp.run(base().maxBodyBytes(1024).build()));
    }

    @Test
    void shouldMakeExactlyTheExchangesAskedForWhenTheyDoNotDivideEvenly() {
        final WarmUp.Result result = WarmUp.run(base().warmUpExchanges(EXCHANGES + 3).build());
        assertEquals(EXCHANGES + 3, result.exchanges(), result.describe());
        assertEquals(0, result.failed(), result.describe());
    }

    @Test
    void shouldSendOnlyBareHeadsUnderASmallHeaderLimitAndFewerClientsThanSlots() {
        // 8 fields would turn the browser's and the proxied sets into 431; 2 slots would leave clients waiting.
        assertAllAnswered(WarmUp.run(base().maxHeaders(8).connections(2).build()));
    }

    @Test
    void shouldKeepAnOriginConnectionPerUpstreamThreadInItsSmallerPipeline() {
        final WeirConfig serving = base().connections(256).upstreamThreads(40).upstreamMaxConnections(50).build();
        final WeirConfig warm = WarmUp.configFor(serving, 4321);
        assertEquals(40, warm.connections());
        assertEquals(40, warm.upstreamMaxConnections());
    }

    @Test
    void shouldDoNothingWhenOff() {
        final WarmUp.Result result = WarmUp.run(base().warmUpExchanges(0).build());
        assertEquals(0, result.exchanges());
        assertEquals(0, result.connections());
    }

    @Test
    void shouldMoveEveryServerToTheWarmUpOriginAndKeepNothingOfTheOperatorsListenerAdminLogOrLock() {
        final WeirConfig serving = base().listen("127.0.0.1", 8080).connections(4096).adminListen("127.0.0.1", 9901)
            .accessLogPath(ConfigKeys.ACCESS_LOG_STDOUT).build();
        final WeirConfig warm = WarmUp.configFor(serving, 4321);
        assertEquals(0, warm.listenPort());
        assertEquals(WarmUp.CONNECTIONS, warm.connections());
        assertFalse(warm.adminEnabled());
        assertEquals(WarmUp.DISCARDED_LOG, warm.accessLogPath());
        assertFalse(warm.lockMemory());
        assertEquals(0, warm.warmUpExchanges(), "a warm-up does not warm itself up");
        for (final UpstreamGroupConfig group : warm.upstreamGroups()) {
            for (final UpstreamGroupConfig.Server server : group.servers()) {
                assertEquals("127.0.0.1:4321", server.address());
            }
        }
    }

    @Test
    void shouldCloseItsPipelineAndOriginBeforeReturning() {
        final WarmUp.Result result = WarmUp.run(base().build());
        assertAllAnswered(result);
        assertTrue(result.pipelinePort() > 0 && result.originPort() > 0, result.toString());
        assertRefused(result.pipelinePort());
        assertRefused(result.originPort());
    }

    private static void assertRefused(final int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            throw new AssertionError("something still listens on the warm-up's port " + port);
        } catch (final IOException refused) {
            // Closed, as it should be.
        }
    }
}
