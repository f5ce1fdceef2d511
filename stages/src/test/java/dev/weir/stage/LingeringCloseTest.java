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
 * A connection that ends cleanly keeps its slot until the client has taken what is still queued for it: an
 * orphaned socket would hold those bytes outside the plan while the slot serves someone else. A client that
 * stops taking them is reset at the linger deadline, which drops the queue.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LingeringCloseTest {

    /** More than a small receive buffer holds, less than the planned send buffer: queued whole at once. */
    private static final int BODY = 40_000;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start(final long lingerTimeoutMs) throws IOException {
        start(lingerTimeoutMs, 30_000);
    }

    private void start(final long lingerTimeoutMs, final long keepAliveTimeoutMs) throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(8).lingerTimeoutMs(lingerTimeoutMs).keepAliveTimeoutMs(keepAliveTimeoutMs).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldHoldTheSlotUntilTheClientHasTakenTheAnswerToAClosingRequest() throws Exception {
        start(30_000);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            askAndClose(socket);
            awaitCondition(() -> pipeline.responsesWritten() == 1, "the answer queued whole");
            awaitCondition(() -> pipeline.describeBusySlots().contains("request=LINGERING"),
                "the slot held while the client has not taken the answer");
            assertEquals(1, pipeline.slotsInUse(), "slots in use");
            assertEquals(BODY, readBodyToCleanEnd(socket.getInputStream()), "body bytes before the end of stream");
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
    }

    @Test
    void shouldGiveAClientThatKeepsTakingItsAnswerMoreThanOneLingerPeriod() throws Exception {
        start(200);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            askAndClose(socket);
            awaitCondition(() -> pipeline.describeBusySlots().contains("request=LINGERING"), "the slot lingering");
            final InputStream in = socket.getInputStream();
            final byte[] step = new byte[4096];
            long read = 0;
            final long startNs = System.nanoTime();
            // One step per half period: the queue shrinks between every two deadlines.
            for (int n; (n = in.read(step)) > 0;) {
                read += n;
                Thread.sleep(100);
            }
            assertTrue(System.nanoTime() - startNs > 3 * 200_000_000L, "the answer took several linger periods");
            assertTrue(read > BODY, "head and body taken whole: " + read);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
    }

    @Test
    void shouldResetAClosingConnectionWhoseClientStopsTakingItsAnswer() throws Exception {
        start(300);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            askAndClose(socket);
            awaitCondition(() -> pipeline.describeBusySlots().contains("request=LINGERING"), "the slot lingering");
            awaitCondition(() -> pipeline.connectionErrors() == 1, "the stalled client reset at the linger deadline");
            PipelineTest.awaitIdle(pipeline);
            assertThrows(IOException.class, () -> readBodyToCleanEnd(socket.getInputStream()),
                "the dropped queue ends in a reset, never a clean end");
        }
    }

    @Test
    void shouldKeepServingAClientThatHalfClosedBeforeTakingItsAnswer() throws Exception {
        start(300);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            ask(socket, "");
            socket.shutdownOutput();
            awaitCondition(() -> pipeline.describeBusySlots().contains("request=LINGERING"), "the slot lingering");
            assertEquals(BODY, readBodyToCleanEnd(socket.getInputStream()), "body bytes before the end of stream");
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.connectionErrors(), "connection errors");
    }

    @Test
    void shouldLingerRatherThanCloseAKeepAliveClientSilentPastItsDeadlineWithItsAnswerUntaken() throws Exception {
        start(300, 300);
        try (Socket socket = PipelineTest.slowClient(pipeline)) {
            ask(socket, "");
            awaitCondition(() -> pipeline.expirations(TimeoutKind.KEEP_ALIVE) == 1, "the keep-alive deadline");
            awaitCondition(() -> pipeline.connectionErrors() == 1, "the stalled client reset at the linger deadline");
            PipelineTest.awaitIdle(pipeline);
            assertEquals(1, pipeline.expirations(TimeoutKind.LINGER), "linger deadlines");
            assertThrows(IOException.class, () -> readBodyToCleanEnd(socket.getInputStream()),
                "the dropped queue ends in a reset, never a clean end");
        }
    }

    private static void askAndClose(final Socket socket) throws IOException {
        ask(socket, "Connection: close\r\n");
    }

    private static void ask(final Socket socket, final String fields) throws IOException {
        socket.getOutputStream().write(("GET /size/" + BODY + " HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    }

    /** @return body bytes, checked against the origin's pattern, read after the head until the end of stream. */
    private static long readBodyToCleanEnd(final InputStream in) throws IOException {
        int matched = 0;
        while (matched < 4) {
            final int b = in.read();
            assertTrue(b >= 0, "end of stream inside the head");
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        final byte[] buffer = new byte[65536];
        long read = 0;
        for (int n; (n = in.read(buffer)) > 0;) {
            for (int i = 0; i < n; i++) {
                if (buffer[i] != LoopbackOrigin.patternByte(read + i)) {
                    throw new AssertionError("body byte " + (read + i));
                }
            }
            read += n;
        }
        return read;
    }
}
