package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.support.LoopbackOrigin;

/**
 * A client that trickles (a body byte now and then, or takes its answer a little at a time) must still move
 * {@code timeout.client-min-rate} over each window of waiting, or it would hold its slot and its origin connection
 * as long as it likes: each wait alone ends in time. One that keeps the rate is served whole.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SlowClientTest {

    /** Every window of waiting is this long: each client timeout under test. */
    private static final long WINDOW_MS = 300;
    /** 128 KiB/s: 39,321 bytes per window. */
    private static final long MIN_RATE = 128 * 1024;
    /**
     * 1 MiB/s: 314,572 bytes per window, far more than one socket buffer, of which a reader at a third of it frees a
     * third (what makes the socket writable, 43,690 bytes of the doubled 64k) in every window.
     */
    private static final long HIGH_MIN_RATE = 1024 * 1024;
    /** 512 KiB/s: 157,286 bytes per window, more than the parse stage reads of three 200,000-byte bursts. */
    private static final long BURST_MIN_RATE = 512 * 1024;
    /** 4 KiB/s: 1,228 bytes per window. */
    private static final long LOW_MIN_RATE = 4 * 1024;
    /** Far more than a slow reader takes before its test ends, so the answer cannot end by itself. */
    private static final int LARGE = 8_000_000;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start() throws IOException {
        start(MIN_RATE);
    }

    /** No grown send buffers: the client's planned one is what the rate is measured through. */
    private void start(final long minRate) throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(8).clientSendTimeoutMs(WINDOW_MS).clientBodyTimeoutMs(WINDOW_MS).lingerTimeoutMs(WINDOW_MS)
            .clientMinRateBytes(minRate).largeResponseBufferCount(0).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldResetAClientThatTakesItsAnswerSlowerThanTheMinimumRate() throws Exception {
        start(HIGH_MIN_RATE);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            ask(socket, "GET /size/" + LARGE, "");
            final InputStream in = socket.getInputStream();
            // 4 KiB per 10 ms, about 400 KB/s: the socket turns writable in every window, at a third of the rate.
            final long read = readPaced(in, 4096, 10, () -> pipeline.expirations(TimeoutKind.CLIENT_SEND) > 0);
            assertEquals(1, pipeline.expirations(TimeoutKind.CLIENT_SEND), "the slow client cut at a send deadline");
            assertTrue(pipeline.connectionErrors() >= 1, "and counted as a failed connection");
            assertTrue(read < LARGE, "the answer was not taken whole: " + read);
            assertThrows(IOException.class, () -> drain(in), "a reset, never a clean end of a cut answer");
        }
        PipelineTest.awaitIdle(pipeline);
    }

    @Test
    void shouldServeWholeAClientThatTakesItsAnswerAboveTheMinimumRate() throws Exception {
        start(LOW_MIN_RATE);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            // Three socket buffers: most of it waits on the client in the write stage, not in a lingering close.
            final int body = 400_000;
            ask(socket, "GET /size/" + body, "Connection: close\r\n");
            // 8 KiB per 100 ms, about 80 KB/s: twenty times the rate, yet the third of the socket buffer that makes
            // it writable takes two windows to free. The queue's length shows the progress in between.
            final long read = readPaced(socket.getInputStream(), 8192, 100, () -> false);
            assertTrue(read > body, "head and body taken whole: " + read);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
    }

    @Test
    void shouldResetAClientSilentForAWindowAndAHalf() throws Exception {
        start(LOW_MIN_RATE);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            ask(socket, "GET /size/" + LARGE, "");
            final InputStream in = socket.getInputStream();
            assertEquals(65_536, in.readNBytes(65_536).length, "the answer's start, taken at once");
            // The stall is the behaviour under test: two windows, past the window and a half the rule allows.
            Thread.sleep(2 * WINDOW_MS);
            assertThrows(IOException.class, () -> drain(in), "a reset, never a clean end of a cut answer");
            assertEquals(1, pipeline.expirations(TimeoutKind.CLIENT_SEND), "cut at a send deadline");
        }
        PipelineTest.awaitIdle(pipeline);
    }

    @Test
    void shouldServeWholeAClientSilentForLessThanAWindow() throws Exception {
        start(LOW_MIN_RATE);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            final int body = 1_000_000;
            ask(socket, "GET /size/" + body, "Connection: close\r\n");
            final InputStream in = socket.getInputStream();
            assertEquals(200_000, in.readNBytes(200_000).length, "the answer's start, taken at once");
            // Half a window: the per-wait deadline allowed it, and so does the rule.
            Thread.sleep(WINDOW_MS / 2);
            final long read = 200_000 + in.readAllBytes().length;
            assertTrue(read > body, "head and body taken whole, to a clean end: " + read);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
    }

    @Test
    void shouldAnswer408ToABodySentSlowerThanTheMinimumRate() throws Exception {
        start();
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            ask(socket, "POST /echo", "Content-Length: " + LARGE + "\r\n");
            final OutputStream out = socket.getOutputStream();
            final byte[] step = new byte[1000];
            // 1,000 bytes per 100 ms, 10 KB/s: each wait ends with bytes long before its deadline.
            try {
                for (int sent = 0; sent < LARGE && pipeline.expirations(TimeoutKind.CLIENT_BODY) == 0;
                    sent += step.length) {
                    out.write(step);
                    Thread.sleep(100);
                }
            } catch (final IOException ex) {
                // Weir answered and closed while the upload went on: the answer is still to be read.
            }
            awaitCondition(() -> pipeline.expirations(TimeoutKind.CLIENT_BODY) == 1, "the body deadline");
            final String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 408", answer, "the status of a body that came too slowly");
        }
        PipelineTest.awaitIdle(pipeline);
    }

    @Test
    void shouldForwardABodySentAboveTheMinimumRate() throws Exception {
        // 8,000 bytes per 10 ms, about 800 KB/s.
        forwardPaced(MIN_RATE, 400_000, 8000, 10);
    }

    @Test
    void shouldCountTheBodyBytesTheUpstreamStageReadsThroughTowardTheRate() throws Exception {
        // 200,000 bytes per 100 ms, about 2 MB/s, in bursts, four times the rate: the parse stage wakes to each
        // burst's first bytes and the upstream stage reads the rest of it straight from the client.
        forwardPaced(BURST_MIN_RATE, 2_000_000, 200_000, 100);
    }

    private void forwardPaced(final long minRate, final int body, final int stepBytes, final long pauseMs)
        throws Exception {
        start(minRate);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            ask(socket, "POST /echo", "Content-Length: " + body + "\r\nConnection: close\r\n");
            final OutputStream out = socket.getOutputStream();
            final byte[] step = new byte[stepBytes];
            for (int sent = 0; sent < body; sent += step.length) {
                out.write(step);
                Thread.sleep(pauseMs);
            }
            final String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer.substring(0, Math.min(40, answer.length())));
            assertTrue(answer.endsWith("\r\n\r\n" + "\0".repeat(body)), "the body echoed whole");
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.expirations(TimeoutKind.CLIENT_BODY), "body deadlines");
    }

    @Test
    void shouldResetALingeringClientSlowerThanTheMinimumRate() throws Exception {
        start();
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            // Queued whole in the planned send buffer, so the exchange ends and the connection lingers at once.
            ask(socket, "GET /size/40000", "Connection: close\r\n");
            awaitCondition(() -> pipeline.describeBusySlots().contains("request=LINGERING"), "the slot lingering");
            // 1 KiB per 100 ms: the queue shrinks in every window, by a tenth of the rate.
            readPaced(socket.getInputStream(), 1024, 100, () -> pipeline.expirations(TimeoutKind.LINGER) > 0);
            assertEquals(1, pipeline.expirations(TimeoutKind.LINGER), "the slow client cut at a linger deadline");
            assertEquals(1, pipeline.connectionErrors(), "and reset");
            assertThrows(IOException.class, () -> drain(socket.getInputStream()),
                "the dropped queue ends in a reset, never a clean end");
        }
        PipelineTest.awaitIdle(pipeline);
    }

    private static void ask(final Socket socket, final String requestLine, final String fields) throws IOException {
        socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Read up to {@code step} bytes per {@code pauseMs} until the end of stream, a failed read, or {@code stop}.
     *
     * @return bytes read.
     */
    private static long readPaced(final InputStream in, final int step, final long pauseMs,
        final java.util.function.BooleanSupplier stop) throws InterruptedException {
        final byte[] buffer = new byte[step];
        long read = 0;
        try {
            for (int n; !stop.getAsBoolean() && (n = in.read(buffer)) > 0;) {
                read += n;
                Thread.sleep(pauseMs);
            }
        } catch (final IOException ex) {
            // A reset: what was read is the answer's part that reached the client.
        }
        return read;
    }

    private static void drain(final InputStream in) throws IOException {
        final byte[] buffer = new byte[65536];
        while (in.read(buffer) >= 0) {
            continue;
        }
    }
}
