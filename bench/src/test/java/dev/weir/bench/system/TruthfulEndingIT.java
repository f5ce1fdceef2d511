package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.stage.Pipeline;

/**
 * Truthful endings: a response the origin failed to finish reaches the client as a reset, never as a clean end
 * that passes a truncated body off as complete; a non-idempotent request whose bytes went out is never sent
 * twice, an idempotent one is retried once on a fresh connection; and a canned error reaches a client that is
 * still sending whole (a lingering close, not a reset).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TruthfulEndingIT {

    private static final int PROMISED = 100_000;
    private static final int SENT = 30_000;
    /** Upload bytes the client sends of its declared 64 MiB; the origin reads them all, then resets. */
    private static final int UPLOADED_BEFORE_RESET = 128 * 1024;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private final ExecutorService helpers = Executors.newCachedThreadPool();

    @AfterEach
    void stopHelpers() {
        helpers.shutdownNow();
    }

    private Pipeline start(final ScriptedOrigin origin) {
        return weir.start(config -> config.upstream("127.0.0.1", origin.port()));
    }

    private static int bodyStart(final RawHttp.End end) {
        return end.text().indexOf("\r\n\r\n") + 4;
    }

    private static RawHttp.End get(final int port, final String path) throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            http.send("GET " + path + " HTTP/1.1\r\nHost: weir\r\n\r\n");
            return http.readToEnd();
        }
    }

    @Test
    void shouldResetTheClientWhenTheDemoOriginClosesMidBody() throws Exception {
        final RawHttp.End end = get(weir.port(), "/close-mid-body/" + PROMISED);
        assertTrue(end.text().startsWith("HTTP/1.1 200 "), end.toString());
        assertEquals(RawHttp.End.RESET, end.kind, "a body cut short ends in a reset: " + end);
        assertEquals(-1, BodyPattern.mismatch(end.bytes, bodyStart(end), end.bytes.length - bodyStart(end), 0),
            "the bytes that came are right");
    }

    @Test
    void shouldResetTheClientWhenTheOriginResetsAContentLengthBody() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(
            ScriptedOrigin.Reply.partialThenReset(PROMISED, SENT)));
        final RawHttp.End end = get(start(origin).listenAddress().getPort(), "/");
        assertTrue(end.text().startsWith("HTTP/1.1 200 "), end.toString());
        assertTrue(end.text().contains("Content-Length: " + PROMISED), end.toString());
        assertEquals(RawHttp.End.RESET, end.kind, "a body cut short ends in a reset: " + end);
        assertTrue(end.bytes.length - bodyStart(end) <= SENT, "no more body than the origin sent: " + end);
    }

    @Test
    void shouldResetTheClientWhenTheOriginResetsACloseDelimitedBody() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.partialThenReset(-1, SENT)));
        final RawHttp.End end = get(start(origin).listenAddress().getPort(), "/");
        assertTrue(end.text().startsWith("HTTP/1.1 200 "), end.toString());
        assertEquals(RawHttp.End.RESET, end.kind, "a close-delimited body cut by an origin failure must not end"
            + " cleanly: the clean end is the only sign such a body is complete: " + end);
    }

    @Test
    void shouldResetTheClientWhenTheOriginFailsMidResponseWhileTheUploadStillFlows() throws Exception {
        // Full duplex: the origin answers while it reads, then fails. The request half is at the parse stage,
        // waiting for the client's next bytes; waking it must not send a FIN, which would end a close-delimited
        // body cleanly before the reset.
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(
            ScriptedOrigin.Reply.answerWhileReadingThenReset(-1, SENT, UPLOADED_BEFORE_RESET)));
        try (RawHttp http = new RawHttp(start(origin).listenAddress().getPort())) {
            helpers.submit(() -> {
                final OutputStream out = http.output();
                out.write(("POST /upload HTTP/1.1\r\nHost: weir\r\nContent-Length: " + (64L << 20) + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
                final byte[] part = new byte[4096];
                // A slow uploader, so the request half mostly waits at the parse stage. It has written its last part
                // before the origin, which reads exactly these parts, resets (the declared rest never comes): Linux
                // reports a reset once, to whichever call meets it first, so a write racing the reader's read
                // could take it and leave the reader a plain end of stream, as if the proxy had closed cleanly.
                try {
                    for (int i = 0; i < UPLOADED_BEFORE_RESET / part.length; i++) {
                        out.write(part);
                        TimeUnit.MILLISECONDS.sleep(2);
                    }
                } catch (final IOException e) {
                    // The proxy reset the connection: the upload ends here.
                }
                return null;
            });
            http.socket().setSoTimeout(10_000);
            final RawHttp.End end = http.readToEnd();
            assertTrue(end.text().startsWith("HTTP/1.1 200 "), end.toString());
            assertEquals(RawHttp.End.RESET, end.kind, "a close-delimited body cut by an origin failure mid-upload"
                + " must not end cleanly: " + end);
        }
    }

    @Test
    void shouldEndACompleteCloseDelimitedBodyCleanly() throws Exception {
        // The counterpart of the reset above: when the origin ends the body properly, so does the client's copy.
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.closeDelimited(SENT)));
        final RawHttp.End end = get(start(origin).listenAddress().getPort(), "/");
        assertTrue(end.text().startsWith("HTTP/1.1 200 "), end.toString());
        assertEquals(RawHttp.End.EOF, end.kind, end.toString());
        assertEquals(SENT, end.bytes.length - bodyStart(end), "the whole body");
        assertEquals(-1, BodyPattern.mismatch(end.bytes, bodyStart(end), SENT, 0));
    }

    /** The origin answers request 0, reads request 1 fully and resets its (reused) connection, answers the rest. */
    private ScriptedOrigin resettingSecondRequest() throws IOException {
        return weir.own(ScriptedOrigin.start((request, index, onConnection) -> index == 1
            ? ScriptedOrigin.Reply.resetWithoutAnswer() : ScriptedOrigin.Reply.ok(10)));
    }

    @Test
    void shouldNeverResendAPostWhoseBytesWentOutOnAReusedConnection() throws Exception {
        final ScriptedOrigin origin = resettingSecondRequest();
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port())
            .upstreamMaxConnections(1));
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status, "the first request opens the origin connection");
            http.send("POST /submit HTTP/1.1\r\nHost: weir\r\nContent-Length: 5\r\n\r\nhello");
            final RawHttp.Response response = http.read(false);
            assertEquals(502, response.status, response.head);
        }
        WeirExtension.awaitIdle(pipeline);
        assertEquals(1, origin.requests("POST", "/submit"), "a POST reached the origin exactly once");
        assertEquals(1, origin.connections(), "the one origin connection was reused for the POST");
    }

    @Test
    void shouldRetryAGetOnceOnAFreshConnectionWhenAReusedOneIsReset() throws Exception {
        final ScriptedOrigin origin = resettingSecondRequest();
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port())
            .upstreamMaxConnections(1));
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            assertEquals(200, http.read(false).status, "the first request opens the origin connection");
            http.send("GET /again HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            assertEquals(200, response.status, response.head);
            assertEquals(-1, BodyPattern.mismatch(response.body, 0, 10, 0));
        }
        WeirExtension.awaitIdle(pipeline);
        assertEquals(2, origin.requests("GET", "/again"), "sent on the reused connection, then once more");
        assertEquals(2, origin.connections(), "the retry went out on a fresh connection");
    }

    @Test
    void shouldDeliverAWhole400ToAClientThatGoesOnSending() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            helpers.submit(() -> {
                try {
                    http.output().write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    http.output().write(new byte[256 * 1024]);
                } catch (final IOException e) {
                    // The proxy closed: the rest is not sent.
                }
                return null;
            });
            final RawHttp.Response response = http.read(false);
            assertEquals(400, response.status, response.head);
            assertEquals("bad request\n", response.text(), "the whole 400, not a reset");
        }
    }

    /**
     * A client that reads slowly pipelines a 1 MiB request and a bad one, then more bytes. The 400 goes out
     * behind the 1 MiB answer while the client's window is still closed: a proxy that closes at once (unread
     * input makes that a reset) throws away what the client has not read yet; a lingering close delivers it.
     */
    @Test
    void shouldDeliverEverythingBeforeA400ToASlowReaderThatGoesOnSending() throws Exception {
        final int size = 1024 * 1024;
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", weir.port()), 2_000);
            socket.setSoTimeout(5_000);
            final OutputStream out = socket.getOutputStream();
            helpers.submit(() -> {
                try {
                    out.write(("GET /bytes/" + size + " HTTP/1.1\r\nHost: weir\r\n\r\nGARBAGE\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                    out.write(new byte[256 * 1024]);
                } catch (final IOException e) {
                    // The proxy closed: the rest is not sent.
                }
                return null;
            });
            final ByteArrayOutputStream all = new ByteArrayOutputStream();
            final InputStream in = socket.getInputStream();
            final byte[] buffer = new byte[4096];
            int kind;
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    all.write(buffer, 0, n);
                    // A slow reader: 4 KiB a millisecond or so, about 4 MiB/s.
                    TimeUnit.MICROSECONDS.sleep(500);
                }
                kind = RawHttp.End.EOF;
            } catch (final java.net.SocketTimeoutException e) {
                kind = RawHttp.End.TIMEOUT;
            } catch (final IOException e) {
                kind = RawHttp.End.RESET;
            }
            final RawHttp.End end = RawHttp.End.of(all.toByteArray(), kind);
            final String text = end.text();
            final int firstBody = bodyStart(end);
            assertTrue(text.startsWith("HTTP/1.1 200 "), end.toString());
            assertTrue(end.bytes.length >= firstBody + size, "the whole 1 MiB answer: " + (end.bytes.length
                - firstBody) + " body bytes, then " + end);
            assertEquals(-1, BodyPattern.mismatch(end.bytes, firstBody, size, 0));
            final String rest = text.substring(firstBody + size);
            assertTrue(rest.startsWith("HTTP/1.1 400 ") && rest.endsWith("bad request\n"), "then the whole 400: "
                + rest + " (" + end + ")");
        }
    }
}
