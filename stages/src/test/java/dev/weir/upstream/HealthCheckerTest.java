package dev.weir.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** {@link HealthChecker#passes}: a 2xx or 3xx status line passes, anything else fails. */
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
