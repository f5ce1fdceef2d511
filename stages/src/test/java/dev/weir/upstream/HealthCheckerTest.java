package dev.weir.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/**
 * {@link HealthChecker#passes}: a 2xx or 3xx status line passes, anything else fails; fall and rise; the first
 * checks spread over one interval.
 */
class HealthCheckerTest {

    private static boolean passes(final String statusLine) {
        final ByteBuffer buffer = ByteBuffer.allocate(12);
        final byte[] bytes = statusLine.getBytes(StandardCharsets.US_ASCII);
        buffer.put(bytes, 0, Math.min(bytes.length, 12));
        return HealthChecker.passes(buffer);
    }

    @Test
    void shouldPassOnlyATwoOrThreeHundredStatus() {
        assertEquals(true, passes("HTTP/1.1 200 OK"));
        assertEquals(true, passes("HTTP/1.0 204 "));
        assertEquals(true, passes("HTTP/1.1 302 Found"));
        assertEquals(false, passes("HTTP/1.1 404 Not Found"));
        assertEquals(false, passes("HTTP/1.1 503 "));
        assertEquals(false, passes("HTTP/1.1 1"), "a short status line (the origin closed)");
        assertEquals(false, passes("HTTP/2.0 200 OK"));
        assertEquals(false, passes("SSH-2.0-OpenSSH"));
    }

    @Test
    void shouldSpreadTheFirstChecksOverOneInterval() throws Exception {
        final java.util.List<dev.weir.config.UpstreamGroupConfig.Server> servers = new java.util.ArrayList<>();
        for (int port = 1; port <= 4; port++) {
            servers.add(new dev.weir.config.UpstreamGroupConfig.Server("127.0.0.1", port, 1, "s" + port));
        }
        final dev.weir.config.UpstreamGroupConfig group = new dev.weir.config.UpstreamGroupConfig("g", servers,
            dev.weir.config.UpstreamGroupConfig.ROUND_ROBIN, true, 1, 1_000, 1, "/h", 1_000, 1_000, 3, 2);
        final dev.weir.config.WeirConfig config = dev.weir.config.WeirConfig.builder().listen("127.0.0.1", 0)
            .upstreamGroups(java.util.List.of(group)).build();
        final long nowNs = 5_000_000_000L;
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            final HealthChecker checker = new HealthChecker(config, Upstreams.of(config, 1), selector, 4096, 4096,
                nowNs);
            assertEquals(4, checker.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(nowNs + i * 250_000_000L, checker.dueNs(i), "first check of server " + i);
            }
        }
    }

    @Test
    void shouldMarkDownAfterFallFailuresInARowAndUpAfterRisePassesInARow() {
        final UpstreamServer server = new UpstreamServer(0, "g", "127.0.0.1:1", null, 1, 1);
        final dev.weir.config.UpstreamGroupConfig group = new dev.weir.config.UpstreamGroupConfig("g",
            java.util.List.of(new dev.weir.config.UpstreamGroupConfig.Server("127.0.0.1", 1, 1, "s")),
            dev.weir.config.UpstreamGroupConfig.ROUND_ROBIN, true, 1, 1_000, 1, "/h", 1_000, 1_000, 3, 2);
        final HealthChecker.Probe probe = new HealthChecker.Probe(server, group, group.servers().get(0), 0);
        final StringBuilder states = new StringBuilder();
        boolean down = false;
        // fail fail pass fail fail fail pass fail pass pass pass
        for (final boolean passed : new boolean[] {false, false, true, false, false, false, true, false, true, true,
            true}) {
            down = !probe.record(passed, down);
            states.append(down ? 'D' : 'u');
        }
        assertEquals("uuuuuDDDDuu", states.toString(), "down at the third failure in a row, up at the second pass");
    }
}
