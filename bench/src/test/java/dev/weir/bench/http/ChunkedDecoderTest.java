package dev.weir.bench.http;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkedDecoderTest {

    private static final byte[] BODY = "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII);

    @Test
    void shouldDecodeTheSameBodyWhateverTheReadBoundaries() {
        for (int split = 1; split < BODY.length; split++) {
            final ChunkedDecoder d = new ChunkedDecoder();
            d.reset();
            final ByteArrayOutputStream data = new ByteArrayOutputStream();
            feed(d, 0, split, data);
            feed(d, split, BODY.length, data);
            assertTrue(d.isDone(), "split at " + split);
            assertEquals("hello world", data.toString(StandardCharsets.US_ASCII), "split at " + split);
            assertEquals(11, d.bodyBytes());
        }
    }

    @Test
    void shouldRejectANonHexChunkSize() {
        final ChunkedDecoder d = new ChunkedDecoder();
        d.reset();
        final byte[] bad = "zz\r\n".getBytes(StandardCharsets.US_ASCII);
        d.decode(bad, 0, bad.length, Integer.MAX_VALUE);
        assertTrue(d.isError());
    }

    private static void feed(final ChunkedDecoder d, final int from, final int to, final ByteArrayOutputStream data) {
        int pos = from;
        while (pos < to && !d.isDone()) {
            // A small data limit exercises back-pressure too.
            pos += d.decode(BODY, pos, to, 3);
            data.write(BODY, d.dataStart(), d.dataLength());
        }
    }
}
