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
}
