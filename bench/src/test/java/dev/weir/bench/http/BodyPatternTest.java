package dev.weir.bench.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class BodyPatternTest {

    @Test
    void shouldCopyTheSameBytesAsByteAtFromAnyOffset() {
        final byte[] b = new byte[BodyPattern.TILE_BYTES * 2 + 7];
        for (final long offset : new long[] {0, 1, 60, 61, 12345, 5L << 32}) {
            BodyPattern.copy(offset, b, 0, b.length);
            for (int i = 0; i < b.length; i += 997) {
                assertEquals(BodyPattern.byteAt(offset + i), b[i]);
            }
            assertEquals(-1, BodyPattern.mismatch(b, 0, b.length, offset));
        }
    }

    @Test
    void shouldDetectALostPowerOfTwoBlock() {
        final byte[] b = new byte[1 << 16];
        BodyPattern.copy(16384, b, 0, b.length);
        assertNotEquals(-1, BodyPattern.mismatch(b, 0, b.length, 0));
    }
}
