package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.support.LoopbackOrigin;

/**
 * The keep-alive hand-off back to the parse stage pays no selector wakeup: the client's next bytes wake the
 * parse stage through its selector. Most tests stretch the parse stage's idle sleep to a minute, so a request
 * that depended on a timed-out sleep instead of a wakeup would hang past the test's timeout.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KeepAliveHandOffTest {

    private static final long LONG_SLEEP_MS = 60_000;
    private static final String GET = "GET /size/5 HTTP/1.1\r\nHost: t\r\n\r\n";
    private static final String GET_HELD = "GET /held HTTP/1.1\r\nHost: t\r\n\r\n";

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    private void start(final WeirConfig.Builder builder, final long parseIdleSleepMs) throws IOException {
        origin = LoopbackOrigin.start();
        pipeline = Pipeline.start(builder.listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port())
            .connections(8).parseBufferBytes(4096).upstreamBufferBytes(16384).build());
        for (final ParseStage parse : pipeline.parseStages()) {
            parse.idleSelectTimeoutMs(parseIdleSleepMs);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (pipeline != null) {
            for (final ParseStage parse : pipeline.parseStages()) {
                // Back to the default so returning slots and closed keys are noticed while the test waits.
                parse.idleSelectTimeoutMs(SelectorStage.DEFAULT_IDLE_SELECT_TIMEOUT_MS);
                parse.wakeUp();
            }
        }
        PipelineTest.stopChecked(pipeline, origin);
    }

    @Test
    void shouldServeKeepAliveRequestsWithoutPayingTheParseStageAWakeup() throws Exception {
        start(WeirConfig.builder(), LONG_SLEEP_MS);
        final ParseStage parse = pipeline.parseStages().get(0);
        try (Socket client = connect()) {
            send(client, GET);
            assertEquals("abcde", readResponse(client.getInputStream()));
            final long wakeups = parse.wakeups();
            // The parse stage sleeps between requests (it yields twice, then sleeps a minute): each next request
            // is served because its bytes wake the stage, which finds the slot handed back in its inbox.
            for (int i = 0; i < 50; i++) {
                awaitTrue(parse::isSleeping, "the parse stage asleep");
                send(client, GET);
                assertEquals("abcde", readResponse(client.getInputStream()));
            }
            // A request that beats the hand-off (the client has its response before the slot is handed back)
            // finds the read interest paused, and that hand-off rightly wakes the stage: rare, never most.
            final long paid = parse.wakeups() - wakeups;
            assertTrue(paid <= 5, "keep-alive hand-offs paid " + paid + " selector wakeups in 50");
        }
    }

    @Test
    void shouldServeRequestsPipelinedInOneWrite() throws Exception {
        start(WeirConfig.builder(), LONG_SLEEP_MS);
        try (Socket client = connect()) {
            send(client, GET + GET + GET);
            for (int i = 0; i < 3; i++) {
                assertEquals("abcde", readResponse(client.getInputStream()));
            }
        }
    }

    @Test
    void shouldServeRequestSentWhileTheExchangeBeforeItWasAtTheOrigin() throws Exception {
        start(WeirConfig.builder(), LONG_SLEEP_MS);
        try (Socket client = connect()) {
            send(client, GET_HELD);
            awaitTrue(() -> origin.heldRequests() == 1, "the first request at the origin");
            // The parse stage does not own the request half now: these bytes make it switch the read off.
            send(client, GET);
            awaitTrue(this::slotPaused, "the parse stage switched the client's read interest off");
            final ParseStage parse = pipeline.parseStages().get(0);
            awaitTrue(parse::isSleeping, "the parse stage asleep");
            // Only a wakeup can end its sleep now: the client's bytes no longer do.
            origin.releaseHeld();
            assertEquals("held\n", readResponse(client.getInputStream()));
            assertEquals("abcde", readResponse(client.getInputStream()));
        }
    }

    @Test
    void shouldStillCloseIdleKeepAliveConnectionAtItsDeadline() throws Exception {
        start(WeirConfig.builder().keepAliveTimeoutMs(200), SelectorStage.DEFAULT_IDLE_SELECT_TIMEOUT_MS);
        try (Socket client = connect()) {
            send(client, GET);
            final InputStream in = client.getInputStream();
            assertEquals("abcde", readResponse(in));
            client.setSoTimeout((int) Duration.ofSeconds(20).toMillis());
            assertEquals(-1, in.read(), "the idle connection is closed by its keep-alive deadline");
        }
        assertTrue(pipeline.expirations(TimeoutKind.KEEP_ALIVE) >= 1, "keep-alive deadline counted");
    }

    private boolean slotPaused() {
        for (int i = 0; i < pipeline.slots().capacity(); i++) {
            if (pipeline.slots().slot(i).clientReadPaused) {
                return true;
            }
        }
        return false;
    }

    private Socket connect() throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort());
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int) Duration.ofSeconds(20).toMillis());
        return socket;
    }

    private static void send(final Socket socket, final String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(1);
        }
    }

    /** @return the body of one response framed by Content-Length. */
    private static String readResponse(final InputStream in) throws IOException {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            final int b = in.read();
            if (b < 0) {
                throw new IOException("end of stream inside a response head: " + head);
            }
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        final String text = head.toString(StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200 "), text);
        int length = 0;
        for (final String line : text.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return new String(in.readNBytes(length), StandardCharsets.US_ASCII);
    }
}
