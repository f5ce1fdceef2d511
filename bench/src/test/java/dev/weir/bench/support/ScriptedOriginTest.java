package dev.weir.bench.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.bench.http.BodyPattern;

/** The scripted origin does what each reply says, seen from a raw client with no proxy in between. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ScriptedOriginTest {

    private static final String GET = "GET /x HTTP/1.1\r\nHost: o\r\n\r\n";

    @Test
    void shouldAnswerKeepAliveRequestsAndCountThemPerRoute() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.ok(1000));
            RawHttp http = new RawHttp(origin.port())) {
            for (int i = 0; i < 3; i++) {
                http.send(GET);
                final RawHttp.Response response = http.read(false);
                assertEquals(200, response.status);
                assertEquals(-1, BodyPattern.mismatch(response.body, 0, 1000, 0));
            }
            http.send("POST /up HTTP/1.1\r\nHost: o\r\nContent-Length: 5\r\n\r\nhello");
            assertEquals(200, http.read(false).status);
            http.send("POST /up HTTP/1.1\r\nHost: o\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            assertEquals(200, http.read(false).status);
            assertEquals(3, origin.requests("GET", "/x"));
            assertEquals(2, origin.requests("POST", "/up"));
            assertEquals(8, origin.bodyBytes("POST", "/up"));
            assertEquals(5, origin.requests());
            assertEquals(1, origin.connections());
        }
    }

    @Test
    void shouldAnswerEarlyWithoutReadingTheBody() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.early(413, false));
            RawHttp http = new RawHttp(origin.port())) {
            http.send("POST /up HTTP/1.1\r\nHost: o\r\nContent-Length: 1000000\r\n\r\n");
            final RawHttp.Response response = http.read(false);
            assertEquals(413, response.status);
            assertEquals("close", response.headers.get("connection"));
            http.send(new byte[1000]);
            assertEquals(0, origin.bodyBytes("POST", "/up"), "the body is never read");
            http.socket().setSoTimeout(200);
            assertEquals(RawHttp.End.TIMEOUT, http.readToEnd().kind, "the connection is kept open");
        }
    }

    @Test
    void shouldAnswerEarlyAndCloseWithoutReadingTheBody() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.early(401, true));
            RawHttp http = new RawHttp(origin.port())) {
            http.send("POST /up HTTP/1.1\r\nHost: o\r\nContent-Length: 1000000\r\n\r\n");
            assertEquals(401, http.read(false).status);
            assertEquals(RawHttp.End.EOF, http.readToEnd().kind);
            assertEquals(0, origin.bodyBytes("POST", "/up"));
        }
    }

    @Test
    void shouldAnswerEarlyThenCountWhatElseArrives() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.earlyThenDrain(413));
            RawHttp http = new RawHttp(origin.port())) {
            http.send("POST /up HTTP/1.1\r\nHost: o\r\nContent-Length: 1000000\r\n\r\n");
            assertEquals(413, http.read(false).status);
            http.send(new byte[1000]);
            ScriptedOrigin.await("the rest is counted", () -> origin.bodyBytes("POST", "/up") == 1000, 2_000);
        }
    }

    @Test
    void shouldEndACloseDelimitedBodyCleanly() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.closeDelimited(30_000));
            RawHttp http = new RawHttp(origin.port())) {
            http.send(GET);
            final RawHttp.End end = http.readToEnd();
            assertEquals(RawHttp.End.EOF, end.kind, end.toString());
            final int bodyStart = end.text().indexOf("\r\n\r\n") + 4;
            assertEquals(30_000, end.bytes.length - bodyStart);
            assertEquals(-1, BodyPattern.mismatch(end.bytes, bodyStart, 30_000, 0));
        }
    }

    @Test
    void shouldResetAfterPartOfAContentLengthBody() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.partialThenReset(100_000, 30_000));
            RawHttp http = new RawHttp(origin.port())) {
            http.send(GET);
            final RawHttp.End end = http.readToEnd();
            assertEquals(RawHttp.End.RESET, end.kind, end.toString());
            assertTrue(end.text().startsWith("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n"), end.toString());
            assertEquals(1, origin.resets());
        }
    }

    @Test
    void shouldResetAfterPartOfACloseDelimitedBody() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.partialThenReset(-1, 30_000));
            RawHttp http = new RawHttp(origin.port())) {
            http.send(GET);
            final RawHttp.End end = http.readToEnd();
            assertEquals(RawHttp.End.RESET, end.kind, end.toString());
            assertTrue(end.text().startsWith("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), end.toString());
        }
    }

    @Test
    void shouldStallAfterPartOfABody() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.partialThenStall(100_000, 1000));
            RawHttp http = new RawHttp(origin.port())) {
            http.send(GET);
            http.socket().setSoTimeout(300);
            final RawHttp.End end = http.readToEnd();
            assertEquals(RawHttp.End.TIMEOUT, end.kind, end.toString());
            assertEquals(1000, end.bytes.length - (end.text().indexOf("\r\n\r\n") + 4), end.toString());
        }
    }

    @Test
    void shouldResetTheKthRequestOnAConnectionAfterReadingIt() throws Exception {
        final ScriptedOrigin.Script script = (request, index, onConnection) -> onConnection == 2
            ? ScriptedOrigin.Reply.resetWithoutAnswer() : ScriptedOrigin.Reply.ok(10);
        try (ScriptedOrigin origin = ScriptedOrigin.start(script); RawHttp http = new RawHttp(origin.port())) {
            http.send(GET);
            assertEquals(200, http.read(false).status);
            http.send(GET);
            assertEquals(200, http.read(false).status);
            http.send("POST /x HTTP/1.1\r\nHost: o\r\nContent-Length: 3\r\n\r\nabc");
            final RawHttp.End end = http.readToEnd();
            assertEquals(RawHttp.End.RESET, end.kind, end.toString());
            assertEquals(0, end.bytes.length);
            assertEquals(1, origin.requests("POST", "/x"));
            assertEquals(3, origin.bodyBytes("POST", "/x"), "read fully before the reset");
        }
    }

    @Test
    void shouldReadButNeverAnswerWhenSilent() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.silent());
            RawHttp http = new RawHttp(origin.port())) {
            http.send("POST /x HTTP/1.1\r\nHost: o\r\nContent-Length: 3\r\n\r\nabc");
            ScriptedOrigin.await("the body is read", () -> origin.bodyBytes("POST", "/x") == 3, 2_000);
            http.socket().setSoTimeout(300);
            assertEquals(RawHttp.End.TIMEOUT, http.readToEnd().kind);
        }
    }

    @Test
    void shouldStopReadingTheBodyAfterTheGivenBytes() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.always(ScriptedOrigin.Reply.stallReadingAfter(10));
            RawHttp http = new RawHttp(origin.port())) {
            http.send("POST /x HTTP/1.1\r\nHost: o\r\nContent-Length: 100\r\n\r\n" + "y".repeat(100));
            ScriptedOrigin.await("ten bytes read", () -> origin.bodyBytes("POST", "/x") == 10, 2_000);
            http.socket().setSoTimeout(300);
            assertEquals(RawHttp.End.TIMEOUT, http.readToEnd().kind);
            assertEquals(10, origin.bodyBytes("POST", "/x"), "no more than ten");
        }
    }

    @Test
    void shouldAcceptButNeverReadInAcceptOnlyMode() throws Exception {
        try (ScriptedOrigin origin = ScriptedOrigin.acceptOnly(); RawHttp http = new RawHttp(origin.port())) {
            http.send(GET);
            ScriptedOrigin.await("accepted", () -> origin.connections() == 1, 2_000);
            http.socket().setSoTimeout(300);
            assertEquals(RawHttp.End.TIMEOUT, http.readToEnd().kind);
            assertEquals(0, origin.requests(), "no request is read");
        }
    }

    @Test
    void shouldLeaveConnectsToTheUnacceptingListenerHanging() throws Exception {
        try (UnacceptingListener listener = UnacceptingListener.start(); Socket socket = new Socket()) {
            final long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> socket.connect(
                new InetSocketAddress("127.0.0.1", listener.port()), 500));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 450, "the connect hung until its own timeout: " + ms + " ms");
            System.out.printf("weir-it unaccepting listener: %d fillers, connect hung %d ms%n", listener.fillers(), ms);
        } catch (final IOException e) {
            throw new AssertionError("the loopback connect-timeout trick does not work here", e);
        }
    }
}
