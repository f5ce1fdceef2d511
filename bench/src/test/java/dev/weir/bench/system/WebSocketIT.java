package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.bench.support.WebSocketRecorder;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/**
 * WebSocket through Weir: the JDK's {@link WebSocket} client against the demo origin's {@code /ws} echo. After
 * {@code 101 Switching Protocols} the slot is a byte tunnel through its two blocks until either side closes or
 * it idles past {@code timeout.tunnel-idle}; other upgrades are not forwarded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketIT {

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private static WebSocket open(final int port, final WebSocketRecorder recorder) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), recorder).get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldEchoTextBinaryAndPingsThroughTheTunnelAndCloseCleanly() throws Exception {
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = open(weir.port(), r);
        ws.sendText("hello through weir", true).get(5, TimeUnit.SECONDS);
        assertEquals("hello through weir", r.next());
        final byte[] big = new byte[1 << 20];
        new Random(7).nextBytes(big);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, (byte[]) r.next(), "1 MiB echoed byte-exact through the two fixed blocks");
        ws.sendPing(ByteBuffer.wrap(new byte[] {1, 2, 3})).get(5, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {1, 2, 3}, ((WebSocketRecorder.Pong) r.next()).payload());
        ws.sendClose(4001, "done").get(5, TimeUnit.SECONDS);
        assertEquals("4001 done", r.closed().get(10, TimeUnit.SECONDS));
    }

    @Test
    void shouldNotCountTunnelledBytesAgainstTheRequestBodyLimit() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.maxBodyBytes(1024));
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = open(pipeline.listenAddress().getPort(), r);
        final byte[] big = new byte[256 * 1024];
        new Random(11).nextBytes(big);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, (byte[]) r.next(), "a tunnel carries past parse.max-body: it is no request body");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        r.closed().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldAllocateNothingPerMessageOnTheStageThreads() throws Exception {
        final Pipeline pipeline = weir.pipeline();
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = open(weir.port(), r);
        final String message = "m".repeat(512);
        long before = 0;
        for (int i = 0; i < 3_000; i++) {
            if (i == 2_000) {
                before = pipeline.stageAllocatedBytes();
            }
            ws.sendText(message, true).get(5, TimeUnit.SECONDS);
            assertEquals(message, r.next());
        }
        final long perMessage = (pipeline.stageAllocatedBytes() - before) / 1_000;
        assertEquals(0, perMessage, "bytes allocated per echoed message on the stage threads");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        r.closed().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldCloseATunnelThatIdlesPastItsDeadline() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.tunnelIdleTimeoutMs(300));
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = open(pipeline.listenAddress().getPort(), r);
        ws.sendText("one", true).get(5, TimeUnit.SECONDS);
        assertEquals("one", r.next());
        final long start = System.nanoTime();
        // Nothing either way: the proxy closes both sides; the client sees its connection end.
        ScriptedOrigin.await("the idle tunnel is closed", () -> pipeline.isIdle(), 5_000);
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms >= 250, "closed after " + ms + " ms, before its 300 ms deadline");
        assertEquals(1, WeirExtension.expirations(pipeline, TimeoutKind.TUNNEL_IDLE));
        // The client sees its connection end (an abnormal closure: the tunnel carries no close frame of its own).
        ScriptedOrigin.await("the client saw the close", () -> r.closed().isDone(), 5_000);
        assertTrue(ws.isInputClosed() || r.closed().isCompletedExceptionally(), "the client's side ended");
    }

    @Test
    void shouldForwardTheHandshakeWithItsUpgradeFieldsAndRelayThe101() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nfrom-origin", false)));
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port()));
        final RawHttp.End end;
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            http.socket().setSoTimeout(10_000);
            http.send("GET /chat HTTP/1.1\r\nHost: weir\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            end = http.readToEnd();
        }
        // The client gets the 101 with the upgrade fields, then the tunnel's bytes, then the origin's close.
        assertEquals("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: Upgrade\r\n\r\nfrom-origin",
            end.text());
        final String seen = origin.received(0);
        assertTrue(seen.startsWith("GET /chat HTTP/1.1\r\nHost: weir\r\n"), seen);
        assertTrue(seen.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"),
            seen);
        assertTrue(seen.endsWith("\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"), seen);
        assertFalse(seen.contains("keep-alive"), "the client's other Connection tokens stay hop-by-hop: " + seen);
    }

    @Test
    void shouldForwardNoOtherUpgrade() throws Exception {
        try (RawHttp http = new RawHttp(weir.port())) {
            http.send("GET /headers HTTP/1.1\r\nHost: weir\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            assertEquals(200, response.status, response.head);
            final String seen = response.text().toLowerCase();
            assertFalse(seen.contains("upgrade"), "no Upgrade or Connection: upgrade forwarded: " + seen);
            assertFalse(seen.contains("http2-settings"), "nor the fields Connection names: " + seen);
        }
    }

    @Test
    void shouldRefuseASwitchTheClientDidNotAskFor() throws Exception {
        final ScriptedOrigin origin = weir.own(ScriptedOrigin.always(ScriptedOrigin.Reply.raw(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false)));
        final Pipeline pipeline = weir.start(config -> config.upstream("127.0.0.1", origin.port()));
        try (RawHttp http = new RawHttp(pipeline.listenAddress().getPort())) {
            http.socket().setSoTimeout(10_000);
            http.send("GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
            final RawHttp.End end = http.readToEnd();
            assertTrue(end.text().startsWith("HTTP/1.1 502 "), end.toString());
        }
    }
}
