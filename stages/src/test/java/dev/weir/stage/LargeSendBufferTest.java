package dev.weir.stage;

import static dev.weir.stage.PipelineTest.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.support.LoopbackOrigin;

/**
 * A client that falls behind on a large response of known length gets its send buffer grown under a grant from
 * {@link LargeSendBuffers}; the grant comes back once its queue fits the planned buffer again, or when the client
 * fails, and a client without a grant is served from the planned buffer.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargeSendBufferTest {

    private static final int LARGE_BODY = 16_000_000;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start(final int grants, final long clientSendTimeoutMs) throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(32).largeResponseBufferCount(grants).clientSendTimeoutMs(clientSendTimeoutMs).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldGrowALateReadersBufferAndGiveTheGrantBackWhenItHasReadTheResponse() throws Exception {
        start(4, 30_000);
        try (Socket socket = connect()) {
            ask(socket, LARGE_BODY);
            awaitCondition(() -> pipeline.largeSendBuffers().taken() == 1, "a grant taken for the late reader");
            WriteThroughTest.readWhole(socket.getInputStream(), LARGE_BODY);
            awaitCondition(() -> pipeline.largeSendBuffers().inUse() == 0, "the grant given back");
            ask(socket, 100);
            WriteThroughTest.readWhole(socket.getInputStream(), 100);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(2, pipeline.responsesWritten(), "responses written");
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
        assertEquals(1, pipeline.largeSendBuffers().highWaterMark(), "grants held at once");
    }

    @Test
    void shouldServeAClientWithoutAGrantFromThePlannedBufferWhenAllAreTaken() throws Exception {
        start(1, 30_000);
        try (Socket first = connect(); Socket second = connect()) {
            ask(first, LARGE_BODY);
            ask(second, LARGE_BODY);
            awaitCondition(() -> pipeline.largeSendBuffers().failedAcquisitions() >= 1, "a grant refused");
            assertEquals(1, pipeline.largeSendBuffers().inUse(), "grants in use");
            WriteThroughTest.readWhole(first.getInputStream(), LARGE_BODY);
            WriteThroughTest.readWhole(second.getInputStream(), LARGE_BODY);
        }
        PipelineTest.awaitIdle(pipeline);
        awaitCondition(() -> pipeline.largeSendBuffers().inUse() == 0, "grants given back");
        assertEquals(2, pipeline.responsesWritten(), "responses written");
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
    }

    @Test
    void shouldResetAClientThatNeverReadsAndFreeItsGrant() throws Exception {
        start(2, 300);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(pipeline.listenAddress(), 5_000);
            socket.setSoTimeout(10_000);
            ask(socket, LARGE_BODY);
            awaitCondition(() -> pipeline.largeSendBuffers().taken() == 1, "a grant taken for the silent client");
            awaitCondition(() -> pipeline.connectionErrors() > 0, "the silent client reset at its send deadline");
            awaitCondition(() -> pipeline.largeSendBuffers().inUse() == 0, "the grant given back");
            assertThrows(IOException.class, () -> drain(socket.getInputStream()),
                "the cut response ends in a reset, never a clean end");
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.responsesWritten(), "a response cut short is not counted as written");
    }

    @Test
    void shouldNotCountAResponseQueuedWholeWhoseClientNeverTakesIt() throws Exception {
        start(2, 300);
        // Larger than the planned buffer, small enough to be queued whole in the grown one: the slot drains.
        final int size = 900_000;
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(pipeline.listenAddress(), 5_000);
            socket.setSoTimeout(10_000);
            ask(socket, size);
            awaitCondition(() -> pipeline.largeSendBuffers().taken() == 1, "a grant taken for the silent client");
            awaitCondition(() -> pipeline.connectionErrors() > 0, "the silent client reset while draining");
            awaitCondition(() -> pipeline.largeSendBuffers().inUse() == 0, "the grant given back");
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.responsesWritten(), "a response the client never took is not counted as written");
    }

    @Test
    void shouldNotCountAResponseWhoseClientResetsWhileItDrains() throws Exception {
        start(2, 30_000);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(pipeline.listenAddress(), 5_000);
            ask(socket, 900_000);
            awaitCondition(() -> pipeline.describeBusySlots().contains("response=DRAINING"),
                "the whole response queued in the grown buffer");
            socket.setSoLinger(true, 0);
        }
        awaitCondition(() -> pipeline.largeSendBuffers().inUse() == 0, "the grant given back");
        PipelineTest.awaitIdle(pipeline);
        final String counts = "; errors " + pipeline.connectionErrors() + ", grants taken "
            + pipeline.largeSendBuffers().taken() + ", expirations " + pipeline.expirations(TimeoutKind.CLIENT_SEND);
        assertEquals(0, pipeline.responsesWritten(), "responses counted, the client reset before taking it" + counts);
        assertEquals(1, pipeline.connectionErrors(), "the reset client counted as failed" + counts);
    }

    @Test
    void shouldResetTheClientAndFreeItsGrantWhenTheOriginResetsMidBody() throws Exception {
        start(2, 30_000);
        final int declared = 1_600_000;
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(pipeline.listenAddress(), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /reset-mid-body/" + declared + " HTTP/1.1\r\nHost: a\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            awaitCondition(() -> pipeline.largeSendBuffers().taken() == 1, "a grant taken for the late reader");
            awaitCondition(() -> origin.heldRequests() == 1, "the origin has sent half the body");
            origin.releaseHeld();
            awaitCondition(() -> pipeline.largeSendBuffers().inUse() == 0, "the grant given back");
            final long received = readUntilEnd(socket.getInputStream());
            assertTrue(received < declared, "a cut body is never passed off as whole: " + received);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.responsesWritten(), "a response cut by its origin is not counted as written");
    }

    @Test
    // Its warm-up takes a grant many thousand times: about half a minute on an idle machine; still bounded.
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldAllocateNothingPerGrantOnStageThreads() throws Exception {
        // Also the measure of the origin's window updates (TcpCalls.quickAck): without them, from some hundred or
        // thousand exchanges on, each waited 43 ms for the delayed-ACK timer and this test ran past its timeout.
        start(4, 30_000);
        final int size = 1024 * 1024;
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(65536);
            socket.connect(pipeline.listenAddress(), 5_000);
            socket.setSoTimeout(10_000);
            for (int i = 0; i < 20_000; i++) {
                ask(socket, 100);
                WriteThroughTest.readWhole(socket.getInputStream(), 100);
            }
            // The grow, drain and give-back paths past the JIT's optimizing-compile thresholds: the interpreter
            // allocates what compiled code does not.
            for (int i = 0; i < 12_000; i++) {
                exchangeWithGrant(socket, size);
            }
            final long before = pipeline.stageAllocatedBytes();
            final int measured = 1_000;
            for (int i = 0; i < measured; i++) {
                exchangeWithGrant(socket, size);
            }
            final long perResponse = (pipeline.stageAllocatedBytes() - before) / measured;
            assertEquals(0, perResponse, "bytes allocated per response with a grant on the stage threads");
        }
    }

    /** Ask, read nothing until the write stage has grown the client's buffer under a grant, then read it all. */
    private void exchangeWithGrant(final Socket socket, final int size) throws Exception {
        final long taken = pipeline.largeSendBuffers().taken();
        ask(socket, size);
        awaitCondition(() -> pipeline.largeSendBuffers().taken() > taken, "a grant for the client behind");
        skipAnswer(socket.getInputStream(), size);
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket();
        socket.connect(pipeline.listenAddress(), 5_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static void ask(final Socket socket, final int size) throws IOException {
        socket.getOutputStream().write(("GET /size/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    }

    /** Read a {@code /size/N} answer's head and body, the body unchecked: fast enough for many thousands. */
    private static void skipAnswer(final InputStream in, final int size) throws IOException {
        final String head = "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n";
        assertEquals(head, new String(in.readNBytes(head.length()), StandardCharsets.US_ASCII));
        final byte[] buffer = new byte[65536];
        for (int left = size, n; left > 0; left -= n) {
            n = in.read(buffer, 0, Math.min(buffer.length, left));
            assertTrue(n > 0, "end of stream with " + left + " body bytes to come");
        }
    }

    /** @return bytes read until the stream ends or is reset. */
    private static long readUntilEnd(final InputStream in) {
        final byte[] buffer = new byte[65536];
        long read = 0;
        try {
            for (int n; (n = in.read(buffer)) > 0;) {
                read += n;
            }
        } catch (final IOException ex) {
            // A reset ends the stream too; what matters is how much arrived.
        }
        return read;
    }

    /** Read until the stream ends; a reset surfaces as an {@link IOException}. */
    private static void drain(final InputStream in) throws IOException {
        final byte[] buffer = new byte[65536];
        long read = 0;
        while (in.read(buffer) > 0) {
            read += buffer.length;
        }
        assertTrue(read < LARGE_BODY, "more than the body arrived: " + read);
    }
}
