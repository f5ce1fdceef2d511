package dev.weir.bench.origin;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.WebSocketRecorder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DemoOriginWebSocketTest {

    private static final String SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    /** RFC 6455 section 1.3 (and 4.2.2); "...9kxGzz..." seen in some copies is a typo: the RFC has "kYG". */
    private static final String SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    private static final byte[] MASK = {0x37, (byte) 0xFA, 0x21, 0x3D};

    private static DemoOrigin origin;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        origin = DemoOrigin.start("127.0.0.1", 0, 2);
        client = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        origin.close();
    }

    @Test
    void shouldEchoTextAndBinaryMessagesWithTheJdkClient() throws Exception {
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = connect(r);
        ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
        assertEquals("hello", r.next());
        final byte[] medium = randomBytes(300, 1);
        ws.sendBinary(ByteBuffer.wrap(medium), true).get(5, TimeUnit.SECONDS);
        assertArrayEquals(medium, (byte[]) r.next());
        final String unicode = "gr\u00fc\u00dfe \u2603 ".repeat(5_000);
        ws.sendText(unicode, true).get(5, TimeUnit.SECONDS);
        assertEquals(unicode, r.next());
        ws.sendText("frag", false).get(5, TimeUnit.SECONDS);
        ws.sendText("men", false).get(5, TimeUnit.SECONDS);
        ws.sendText("ted", true).get(5, TimeUnit.SECONDS);
        assertEquals("fragmented", r.next());
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        r.closed().get(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldEchoAOneMebibyteBinaryMessageByteExact() throws Exception {
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = connect(r);
        final byte[] big = randomBytes(1 << 20, 2);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, (byte[]) r.next());
        ws.sendBinary(ByteBuffer.wrap(big, 0, 1000), false).get(5, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(big, 1000, big.length - 1000), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, (byte[]) r.next(), "the same mebibyte in two fragments");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        r.closed().get(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldAnswerPingWithPongOfTheSamePayload() throws Exception {
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = connect(r);
        final byte[] payload = "are you there?".getBytes(StandardCharsets.US_ASCII);
        ws.sendPing(ByteBuffer.wrap(payload)).get(5, TimeUnit.SECONDS);
        assertArrayEquals(payload, ((WebSocketRecorder.Pong) r.next()).payload());
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        r.closed().get(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldEchoTheCloseHandshakeWithTheClientsStatus() throws Exception {
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = connect(r);
        ws.sendClose(4321, "bye").get(5, TimeUnit.SECONDS);
        assertEquals("4321 bye", r.closed().get(5, TimeUnit.SECONDS));
        assertTrue(ws.isOutputClosed());
    }

    @Test
    void shouldAnswerTheRfcSampleKeyAndEchoFramesSentWithTheHandshake() throws Exception {
        try (Socket s = rawConnect()) {
            final DataInputStream in = new DataInputStream(s.getInputStream());
            final ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frames.write(clientFrame(0x81, "short".getBytes(StandardCharsets.US_ASCII)));
            frames.write(clientFrame(0x82, randomBytes(300, 3)));
            frames.write(clientFrame(0x82, randomBytes(70_000, 4)));
            // The frames follow the head in the same write: they must not be mistaken for a second request.
            send(s, handshake("Connection: keep-alive, Upgrade\r\nupgrade: WebSocket\r\n"), frames.toByteArray());
            final String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), head);
            assertTrue(head.contains("\r\nUpgrade: websocket\r\n"), head);
            assertTrue(head.contains("\r\nConnection: Upgrade\r\n"), head);
            assertTrue(head.contains("\r\nSec-WebSocket-Accept: " + SAMPLE_ACCEPT + "\r\n"), head);

            assertArrayEquals(new byte[] {(byte) 0x81, 5}, readBytes(in, 2), "7-bit length");
            assertEquals("short", new String(readBytes(in, 5), StandardCharsets.US_ASCII));
            assertArrayEquals(new byte[] {(byte) 0x82, 126, 0x01, 0x2C}, readBytes(in, 4), "16-bit length");
            assertArrayEquals(randomBytes(300, 3), readBytes(in, 300));
            assertArrayEquals(new byte[] {(byte) 0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70}, readBytes(in, 10),
                "64-bit length");
            assertArrayEquals(randomBytes(70_000, 4), readBytes(in, 70_000));

            send(s, clientFrame(0x88, new byte[] {0x03, (byte) 0xE8}));
            assertArrayEquals(new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xE8}, readBytes(in, 4), "close echoed");
            assertEquals(-1, in.read(), "closed after the close frame");
        }
    }

    @Test
    void shouldRejectAMalformedHandshakeWith400AndClose() throws Exception {
        final String upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\n";
        final List<String> bad = List.of(
            "GET /ws HTTP/1.1\r\nHost: t\r\n" + upgrade + "Sec-WebSocket-Version: 13\r\n\r\n",
            "GET /ws HTTP/1.1\r\nHost: t\r\n" + upgrade + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: "
                + SAMPLE_KEY + "\r\n\r\n",
            "GET /ws HTTP/1.1\r\nHost: t\r\n" + upgrade + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: abc\r\n\r\n",
            handshake("Connection: keep-alive\r\nUpgrade: websocket\r\n"),
            handshake("Connection: Upgrades\r\nUpgrade: websocket\r\n"),
            handshake("Connection: Upgrade\r\nUpgrade: h2c\r\n"),
            handshake(upgrade).replace("GET", "POST"),
            handshake(upgrade).replace("HTTP/1.1", "HTTP/1.0"),
            handshake(upgrade + "Content-Length: 3\r\n") + "abc",
            handshake(upgrade + "Sec-WebSocket-Key: " + SAMPLE_KEY + "\r\n"));
        for (final String request : bad) {
            try (RawHttp c = new RawHttp(origin.port())) {
                c.send(request);
                final RawHttp.Response r = c.read(false);
                assertEquals(400, r.status, request);
                assertEquals("close", r.headers.get("connection"), request);
                assertEquals("13", r.headers.get("sec-websocket-version"), request);
                assertEquals(0, c.readUntilClose().length, request);
            }
        }
    }

    @Test
    void shouldFailTheConnectionWith1002OnAnUnmaskedOrMisplacedFrame() throws Exception {
        final byte[] unmasked = {(byte) 0x81, 2, 'h', 'i'};
        final byte[] strayContinuation = clientFrame(0x80, new byte[] {1});
        final byte[] fragmentedPing = clientFrame(0x09, new byte[0]);
        for (final byte[] frame : List.of(unmasked, strayContinuation, fragmentedPing)) {
            try (Socket s = rawConnect()) {
                final DataInputStream in = new DataInputStream(s.getInputStream());
                send(s, handshake("Connection: Upgrade\r\nUpgrade: websocket\r\n"), frame);
                assertTrue(readHead(in).startsWith("HTTP/1.1 101 "));
                assertArrayEquals(new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xEA}, readBytes(in, 4), "close 1002");
                assertEquals(-1, in.read());
            }
        }
    }

    @Test
    void shouldKeepServingPlainHttpBesideWebSockets() throws Exception {
        final WebSocketRecorder r = new WebSocketRecorder();
        final WebSocket ws = connect(r);
        try (RawHttp c = new RawHttp(origin.port())) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(DemoOrigin.ROOT_BODY, c.read(false).text());
        }
        ws.sendText("still here", true).get(5, TimeUnit.SECONDS);
        assertEquals("still here", r.next());
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        r.closed().get(5, TimeUnit.SECONDS);
    }

    private static WebSocket connect(final WebSocketRecorder recorder) throws Exception {
        return client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + origin.port() + "/ws"), recorder)
            .get(5, TimeUnit.SECONDS);
    }

    private static String handshake(final String upgradeHeaders) {
        return "GET /ws HTTP/1.1\r\nHost: t\r\n" + upgradeHeaders + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
            + SAMPLE_KEY + "\r\n\r\n";
    }

    private static Socket rawConnect() throws IOException {
        final Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", origin.port()), 2_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static void send(final Socket s, final String head, final byte[] frames) throws IOException {
        final byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        final byte[] all = Arrays.copyOf(h, h.length + frames.length);
        System.arraycopy(frames, 0, all, h.length, frames.length);
        send(s, all);
    }

    private static void send(final Socket s, final byte[] bytes) throws IOException {
        final OutputStream out = s.getOutputStream();
        out.write(bytes);
        out.flush();
    }

    /** A masked client frame with the shortest length encoding; {@code b0} is FIN, RSV and opcode. */
    private static byte[] clientFrame(final int b0, final byte[] payload) {
        final ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(b0);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        } else {
            f.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) ((long) payload.length >>> shift));
            }
        }
        f.writeBytes(MASK);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ MASK[i & 3]);
        }
        return f.toByteArray();
    }

    private static String readHead(final DataInputStream in) throws IOException {
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            if (c < 0) {
                throw new IOException("closed inside a response head after: " + head);
            }
            head.append((char) c);
        }
        return head.toString();
    }

    private static byte[] readBytes(final DataInputStream in, final int n) throws IOException {
        final byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static byte[] randomBytes(final int n, final long seed) {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
