package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.support.LoopbackOrigin;

/**
 * On a fused parse and upstream thread, a part the client does not take whole goes to the write thread, which waits
 * for the client: the response completes whole, a client that never reads meets its send deadline and is closed
 * before its whole body, and other connections on the same fused thread keep flowing meanwhile.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FusedRelayTest {

    private static final int MEBIBYTE = 1024 * 1024;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start(final long clientSendTimeoutMs) throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(32).parseBufferBytes(4096).upstreamBufferBytes(16384).fuseParseUpstream(true)
            .clientSendTimeoutMs(clientSendTimeoutMs).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldRelayTheWholeBodyToASlowClientOfAFusedThread() throws Exception {
        start(10_000);
        final int size = 16_000_000;
        try (Socket slow = PipelineTest.slowClient(pipeline)) {
            send(slow, size);
            // More than the client's socket buffers hold: the fused thread finds it full and hands the part on.
            awaitCondition(() -> writeStage().handoffs() > 0, "a part handed to the write thread");
            WriteThroughTest.readWhole(slow.getInputStream(), size);
            // The connection stays usable, for small answers and large ones.
            send(slow, 100);
            WriteThroughTest.readWhole(slow.getInputStream(), 100);
            send(slow, MEBIBYTE);
            WriteThroughTest.readWhole(slow.getInputStream(), MEBIBYTE);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(3, pipeline.responsesWritten(), "responses completed");
        assertEquals(0, pipeline.connectionErrors(), "errors");
    }

    @Test
    void shouldResetANeverReadingClientAtItsSendDeadlineWhileOtherResponsesKeepFlowing() throws Exception {
        final long sendTimeoutMs = 5_000;
        start(sendTimeoutMs);
        final int responses = 20;
        try (Socket stalled = PipelineTest.slowClient(pipeline); Socket flowing = connect()) {
            send(stalled, 50_000_000);
            awaitCondition(() -> writeStage().handoffs() > 0, "the stalled client's part at the write thread");
            // Same fused thread (one parse and upstream thread): its 1 MiB responses do not wait behind the stall.
            for (int i = 0; i < responses; i++) {
                send(flowing, MEBIBYTE);
                WriteThroughTest.readWhole(flowing.getInputStream(), MEBIBYTE);
            }
            assertEquals(0, writeStage().expirations(TimeoutKind.CLIENT_SEND),
                "the stalled client's deadline expired before 20 MiB reached the other client");
            // Counted just after the last byte went out.
            awaitCondition(() -> pipeline.responsesWritten() == responses, "responses completed beside the stall");
            awaitWithin(() -> writeStage().expirations(TimeoutKind.CLIENT_SEND) == 1,
                "the stalled client's send deadline", sendTimeoutMs + 10_000);
            assertTrue(endsWithoutItsWholeBody(stalled.getInputStream(), 50_000_000),
                "the stalled client was closed before its whole body");
            // The stall freed its slot and origin connection: the other client goes on.
            send(flowing, MEBIBYTE);
            WriteThroughTest.readWhole(flowing.getInputStream(), MEBIBYTE);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(responses + 1, pipeline.responsesWritten(), "responses completed, the stalled one not counted");
        assertTrue(pipeline.connectionErrors() > 0, "the stalled client's failure is counted");
    }

    private static void awaitWithin(final BooleanSupplier condition, final String what, final long timeoutMs)
        throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            Thread.sleep(5);
        }
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static void send(final Socket socket, final int size) throws IOException {
        socket.getOutputStream().write(("GET /size/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    }

    /** @return {@code true} when the stream ends or is reset before the head and {@code size} body bytes. */
    private static boolean endsWithoutItsWholeBody(final InputStream in, final long size) throws IOException {
        final byte[] buffer = new byte[65536];
        long read = 0;
        try {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                read += n;
            }
        } catch (final SocketException reset) {
            return true;
        }
        return read < size;
    }

    private StageCounters writeStage() {
        return pipeline.stage("weir-write-0").counters();
    }
}
