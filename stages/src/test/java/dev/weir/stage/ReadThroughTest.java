package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * The upstream stage reads a request body's next part from the client itself when the part before it went out
 * whole (read-through), and leaves the wait to the parse stage only when the client has not sent it yet.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReadThroughTest {

    private static final int PARSE_BUFFER_BYTES = 4096;
    /** Three parse blocks' worth with its head: the first part is read by the parse stage, the rest are not. */
    private static final int BODY_BYTES = 12_000;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start() throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(32).parseBufferBytes(PARSE_BUFFER_BYTES).upstreamBufferBytes(16384).build());
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldSendBodyPartsAlreadyReceivedWithoutHandingTheRequestBackToTheParseStage() throws Exception {
        start();
        final int requests = 50;
        final byte[] body = body(BODY_BYTES);
        try (Socket socket = connect()) {
            for (int i = 0; i < requests; i++) {
                // Head and body in one write: the whole request is in Weir's socket before the head is parsed.
                socket.getOutputStream().write(concat(postHead(body.length), body));
                assertArrayEquals(body, readAnswer(socket.getInputStream()), "echoed body of request " + i);
            }
        }
        PipelineTest.awaitIdle(pipeline);
        assertTrue(upstreamStage().bodyPartsReadThrough() >= requests,
            "body parts read through: " + upstreamStage().bodyPartsReadThrough());
        // One hand-off from accept, then one per kept-alive exchange: none for a body part.
        assertEquals(requests + 1, parseStage().handoffs(), "request halves handed to the parse stage");
        // The rest of each upload makes the client readable while the upstream stage holds the half; the parse
        // stage lets that pass for a few turns instead of switching the read interest off and on again.
        assertTrue(parseStage().readPauses() < requests / 2, "read interest paused: " + parseStage().readPauses()
            + " times for " + requests + " uploads");
    }

    @Test
    void shouldLeaveTheWaitForAPartNotYetSentToTheParseStage() throws Exception {
        start();
        final byte[] body = body(BODY_BYTES);
        final byte[] request = concat(postHead(body.length), body);
        final int firstWrite = PARSE_BUFFER_BYTES / 2;
        try (Socket socket = connect()) {
            final OutputStream out = socket.getOutputStream();
            out.write(request, 0, firstWrite);
            // The part written, the upstream stage finds nothing more and hands the request half to parse.
            final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (parseStage().handoffs() < 2) {
                assertTrue(System.nanoTime() < deadline, "the request half never came back to the parse stage");
                Thread.sleep(1);
            }
            out.write(request, firstWrite, request.length - firstWrite);
            assertArrayEquals(body, readAnswer(socket.getInputStream()), "echoed body");
        }
    }

    @Test
    void shouldAnswer400WhenAPartReadThroughBreaksTheChunkedFraming() throws Exception {
        start();
        final byte[] chunk = body(6000);
        final byte[] request = concat(concat(("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII), chunk),
            "\r\nzz\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request);
            final String status = "HTTP/1.1 400";
            assertEquals(status, new String(socket.getInputStream().readNBytes(status.length()),
                StandardCharsets.US_ASCII));
        }
    }

    private static byte[] postHead(final int length) {
        return ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] body(final int length) {
        final byte[] body = new byte[length];
        for (int i = 0; i < length; i++) {
            body[i] = LoopbackOrigin.patternByte(i);
        }
        return body;
    }

    static byte[] concat(final byte[] a, final byte[] b) {
        final byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /** Read a 200 answer with a Content-Length and return its body. */
    static byte[] readAnswer(final InputStream in) throws IOException {
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int b = in.read();
            assertTrue(b >= 0, "end of stream in the answer's head: " + head);
            head.append((char) b);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200 "), head.toString());
        final String marker = "Content-Length: ";
        final int at = head.indexOf(marker);
        final int length = Integer.parseInt(head.substring(at + marker.length(), head.indexOf("\r\n", at)));
        return in.readNBytes(length);
    }

    private StageCounters parseStage() {
        final List<StageCounters> counters = pipeline.stageCounters();
        // accept, parse, upstream, write: one thread each.
        return counters.get(1);
    }

    private StageCounters upstreamStage() {
        return pipeline.stageCounters().get(2);
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }
}
