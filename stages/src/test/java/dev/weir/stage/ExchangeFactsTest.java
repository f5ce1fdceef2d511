package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.conn.ConnectionSlot;
import dev.weir.conn.ExchangeFacts;
import dev.weir.support.LoopbackOrigin;

/** Every exchange that ends reaches the observers once, with what the metrics and the access log need. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExchangeFactsTest {

    /** A copy of the facts, taken on the stage thread (allocating there is a test's privilege). */
    private record Seen(int status, long bytesSent, long startNanos, long startEpochMillis, long responseHeadNanos,
        int server, int closeMode, long endNanos) {
    }

    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private LoopbackOrigin origin;
    private Pipeline pipeline;

    @BeforeEach
    void start() throws Exception {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(8).parseBufferBytes(4096).upstreamBufferBytes(16384).build(),
            (owner, thread) -> this::record);
    }

    private void record(final ConnectionSlot slot) {
        final ExchangeFacts f = slot.facts;
        seen.add(new Seen(f.status, f.bytesSent, f.startNanos, f.startEpochMillis, f.responseHeadNanos, f.server,
            slot.closeMode(), System.nanoTime()));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            PipelineTest.awaitIdle(pipeline);
        } finally {
            pipeline.close();
            origin.close();
        }
    }

    private Seen next() throws InterruptedException {
        final Seen s = seen.poll(10, TimeUnit.SECONDS);
        assertNotNull(s, "an exchange ended without reaching the observer");
        return s;
    }

    @Test
    void shouldReportStatusBytesServerAndTimesOfRelayedResponses() throws Exception {
        final long before = System.currentTimeMillis();
        final String head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort())) {
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < 3; i++) {
                socket.getOutputStream().write("GET /size/100 HTTP/1.1\r\nHost: a\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                assertEquals(head.length() + 100, in.readNBytes(head.length() + 100).length);
                final Seen s = next();
                assertEquals(200, s.status());
                assertEquals(head.length() + 100, s.bytesSent(), "head and body bytes, once each");
                assertEquals(0, s.server());
                assertEquals(ConnectionSlot.CLOSE_NONE, s.closeMode());
                assertTrue(s.startNanos() != 0 && s.responseHeadNanos() >= s.startNanos()
                    && s.endNanos() >= s.responseHeadNanos(), s.toString());
                assertTrue(s.startEpochMillis() >= before && s.startEpochMillis() <= System.currentTimeMillis());
            }
        }
        assertEquals(0, seen.size(), "one report per exchange");
    }

    @Test
    void shouldReportCannedAnswersWithoutServer() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort())) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            final byte[] answer = socket.getInputStream().readAllBytes();
            assertTrue(new String(answer, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 400 "));
            final Seen s = next();
            assertEquals(400, s.status());
            assertEquals(answer.length, s.bytesSent());
            assertEquals(ExchangeFacts.NO_SERVER, s.server());
            assertEquals(0, s.responseHeadNanos());
        }
    }
}
