package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.support.LoopbackOrigin;

/**
 * The upstream stage writes response parts to the client itself ({@code write.through}) and hands a part to the
 * write stage only when the client does not take it whole.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WriteThroughTest {

    private static final int UPSTREAM_BUFFER_BYTES = 16384;
    /**
     * Parts the write stage takes from a client with a tiny receive window before the zero-allocation window: past
     * HotSpot's optimizing-compile thresholds (5,000 calls of a method, or 15,000 calls and loop turns).
     */
    private static final int WARM_UP_WRITE_STAGE_PARTS = 10_000;
    /** 1 MiB responses that client may take to get there (about 45 parts each go through the write stage). */
    private static final int MAX_WARM_UP_SLOW_RESPONSES = 1_000;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start(final boolean writeThrough) throws IOException {
        origin = LoopbackOrigin.start();
        // The planned buffers alone: a grant would take a slow client's whole response at once (LargeSendBufferTest
        // covers that path), leaving the write stage's part-by-part path these tests drive.
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(32).parseBufferBytes(4096).upstreamBufferBytes(UPSTREAM_BUFFER_BYTES)
            .writeThrough(writeThrough).largeResponseBufferCount(0).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldRelayResponsesTheClientTakesWholeWithoutTheWriteStage() throws Exception {
        start(true);
        final int requests = 200;
        try (Socket socket = connect()) {
            for (int i = 0; i < requests; i++) {
                exchange(socket, 100 + i);
            }
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, writeStage().handoffs(), "parts handed to the write stage");
        assertEquals(0, writeStage().responses(), "responses the write stage finished");
        assertEquals(requests, pipeline.responsesWritten(), "responses counted by the upstream stage");
    }

    @Test
    void shouldHandEveryPartToTheWriteStageWhenWriteThroughIsOff() throws Exception {
        start(false);
        final int requests = 200;
        try (Socket socket = connect()) {
            for (int i = 0; i < requests; i++) {
                exchange(socket, 100 + i);
            }
        }
        PipelineTest.awaitIdle(pipeline);
        assertTrue(writeStage().handoffs() >= requests, "parts handed to the write stage: " + writeStage().handoffs());
        assertEquals(requests, writeStage().responses());
        assertEquals(requests, pipeline.responsesWritten());
    }

    @Test
    void shouldHandPartToWriteStageWhenClientWindowIsFullAndCompleteWhenClientReads() throws Exception {
        start(true);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(pipeline.listenAddress(), 5_000);
            socket.setSoTimeout(10_000);
            exchangeReadingLate(socket);
            // The rest of a response whose client was full goes through the write stage; the next responses
            // on the connection are written through again.
            final long handedOver = writeStage().handoffs();
            for (int i = 0; i < 20; i++) {
                exchange(socket, 100 + i);
            }
            assertEquals(handedOver, writeStage().handoffs(), "small parts handed to the write stage afterwards");
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(21, pipeline.responsesWritten(), "the responses completed");
    }

    @Test
    void shouldResetClientAndDropOriginWhenClientResetsMidBody() throws Exception {
        start(true);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("GET /size/50000000 HTTP/1.1\r\nHost: a\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            assertEquals(100_000, socket.getInputStream().readNBytes(100_000).length);
            socket.setSoLinger(true, 0);
        }
        PipelineTest.awaitIdle(pipeline);
        assertEquals(0, pipeline.responsesWritten(), "a response cut short is not counted as written");
        assertTrue(pipeline.connectionErrors() > 0, "the client's failure is counted");
        // The origin connection mid-response is not reusable: the next exchange opens another one.
        try (Socket socket = connect()) {
            exchange(socket, 10);
        }
        assertEquals(2, origin.connections(), "origin connections opened");
    }

    @Test
    // Its warm-up waits on a slow client's window many thousand times: 10 s on an idle machine, 90 s with two
    // busy loops added to loaded cores; still bounded.
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldAllocateNothingPerMebibyteResponseOnStageThreads() throws Exception {
        start(true);
        final int size = 1024 * 1024;
        // Every path the window may take runs past the JIT's optimizing-compile thresholds first: the interpreter
        // allocates what compiled code keeps in registers, and the thread whose call first asks for the optimizing
        // compile of a method interns the string literals of its class (a few hundred bytes, once per class).
        // Small exchanges warm the common path; a client with a tiny receive window makes nearly every part of
        // a response wait for OP_WRITE in the write stage, the path the window takes only when its client falls
        // behind (how often depends on timing, so it cannot be left to the window's own warm-up).
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(pipeline.listenAddress(), 5_000);
            slow.setSoTimeout(10_000);
            for (int i = 0; writeStage().handoffs() < WARM_UP_WRITE_STAGE_PARTS; i++) {
                assertTrue(i < MAX_WARM_UP_SLOW_RESPONSES, "parts the write stage took in the warm-up: "
                    + writeStage().handoffs());
                exchange(slow, size);
            }
        }
        try (Socket socket = connect()) {
            for (int i = 0; i < 20_000; i++) {
                exchange(socket, 100);
            }
            // This client's first wait for OP_WRITE registers it with the write stage's selector, once.
            exchangeReadingLate(socket);
            for (int i = 0; i < 100; i++) {
                exchange(socket, size);
            }
            final long before = pipeline.stageAllocatedBytes();
            final int measured = 200;
            for (int i = 0; i < measured; i++) {
                exchange(socket, size);
            }
            final long perRequest = (pipeline.stageAllocatedBytes() - before) / measured;
            assertEquals(0, perRequest, "bytes allocated per 1 MiB response on the stage threads");
        }
    }

    /**
     * Ask for more than the client socket's buffers hold (the kernel grows a send buffer to 4 MiB at most), read
     * nothing until the upstream stage found the client full and handed a part to the write stage, then read
     * and check the whole answer.
     */
    private void exchangeReadingLate(final Socket socket) throws Exception {
        final int size = 16_000_000;
        final long handedOver = writeStage().handoffs();
        socket.getOutputStream().write(("GET /size/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (writeStage().handoffs() == handedOver) {
            assertTrue(System.nanoTime() < deadline, "no part was handed to the write stage");
            Thread.sleep(5);
        }
        readWhole(socket.getInputStream(), size);
    }

    /** Read the head and {@code size} body bytes, checking every byte against the origin's pattern. */
    static void readWhole(final InputStream in, final long size) throws IOException {
        final String head = "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n";
        assertEquals(head, new String(in.readNBytes(head.length()), StandardCharsets.US_ASCII));
        final byte[] buffer = new byte[65536];
        long read = 0;
        while (read < size) {
            final int n = in.read(buffer, 0, (int) Math.min(buffer.length, size - read));
            assertTrue(n > 0, "end of stream after " + read + " of " + size + " body bytes");
            for (int i = 0; i < n; i++) {
                if (buffer[i] != LoopbackOrigin.patternByte(read + i)) {
                    throw new AssertionError("body byte " + (read + i));
                }
            }
            read += n;
        }
    }

    /** Send {@code GET /size/N} on a kept connection and read the whole answer. */
    private static void exchange(final Socket socket, final int size) throws IOException {
        socket.getOutputStream().write(("GET /size/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        readWhole(socket.getInputStream(), size);
    }

    private StageCounters writeStage() {
        final List<StageCounters> counters = pipeline.stageCounters();
        // accept, parse, upstream, write: one thread each.
        return counters.get(3);
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }
}
