package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.support.RawHttp;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.config.WeirConfig;
import dev.weir.stage.Pipeline;

/**
 * Request normalisation end to end over raw sockets: for each rule, what the client gets and the exact bytes the
 * origin receives (docs/HTTP.md lists the rules). The forwarding fields are the defaults unless a test says
 * otherwise: X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and Via.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestNormalisationIT {

    private static final long WAIT_MS = 5_000;
    /** What Weir adds to a request for host {@code h} from 127.0.0.1 under the default switches. */
    private static final String ADDED = "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\n";

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    private ScriptedOrigin origin;

    private int start(final ScriptedOrigin.Reply reply, final UnaryOperator<WeirConfig.Builder> changes)
        throws IOException {
        origin = weir.own(ScriptedOrigin.always(reply));
        final Pipeline pipeline = weir.start(config -> changes.apply(config.upstream("127.0.0.1", origin.port())));
        return pipeline.listenAddress().getPort();
    }

    private int start() throws IOException {
        return start(ScriptedOrigin.Reply.ok(2), UnaryOperator.identity());
    }

    private static String added(final String host) {
        return ADDED + "X-Forwarded-Host: " + host + "\r\nVia: 1.1 weir\r\n\r\n";
    }

    /** Waits until the origin's first connection has received exactly {@code expected}, then checks it. */
    private void assertOriginReceived(final String expected) throws InterruptedException {
        ScriptedOrigin.await("the origin received " + expected.length() + " bytes",
            () -> origin.receivedConnections() > 0 && origin.received(0).length() >= expected.length(), WAIT_MS);
        assertEquals(expected, origin.received(0));
    }

    /** The client got {@code status} from Weir itself and the origin never saw a byte. */
    private void assertAnsweredByWeir(final int port, final String request, final int status) throws Exception {
        try (RawHttp client = new RawHttp(port)) {
            client.send(request);
            final RawHttp.Response response = client.read(false);
            assertEquals(status, response.status, response.head);
            assertEquals("close", response.headers.get("connection"));
            assertEquals(RawHttp.End.EOF, client.readToEnd().kind);
        }
        assertEquals(0, origin.connections(), "the origin was contacted");
    }

    private static RawHttp.Response exchange(final RawHttp client, final String request) throws IOException {
        client.send(request);
        return client.read(false);
    }

    // ---- rule 1

    @Test
    void shouldForwardAnHttp10RequestAsHttp11AndCloseTheClientAfterIt() throws Exception {
        final int port = start();
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "GET /old HTTP/1.0\r\nHost: a.example\r\n\r\n").status);
            assertEquals(RawHttp.End.EOF, client.readToEnd().kind, "an HTTP/1.0 client without keep-alive");
        }
        assertOriginReceived("GET /old HTTP/1.1\r\nHost: a.example\r\n" + added("a.example"));
    }

    @Test
    void shouldKeepAnHttp10KeepAliveClientOpenAndForwardHttp11WithoutItsConnectionField() throws Exception {
        final int port = start();
        try (RawHttp client = new RawHttp(port)) {
            final String request = "GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
            assertEquals(200, exchange(client, request).status);
            assertEquals(200, exchange(client, request).status);
        }
        // No Host from the client: RFC 9112 3.2 asks for an empty one; no X-Forwarded-Host without a host.
        final String forwarded = "GET /k HTTP/1.1\r\nHost: \r\n" + ADDED + "Via: 1.1 weir\r\n\r\n";
        assertOriginReceived(forwarded + forwarded);
    }

    // ---- rule 2

    @Test
    void shouldForwardAnAbsoluteFormTargetInOriginFormWithHostFromItsAuthority() throws Exception {
        final int port = start();
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client,
                "GET http://example.com:8080/path?q HTTP/1.1\r\nHost: other.example\r\nAccept: */*\r\n\r\n").status);
        }
        assertOriginReceived("GET /path?q HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n"
            + added("example.com:8080"));
    }

    // ---- rule 3

    @Test
    void shouldAnswerBadRequestForAnInvalidHost() throws Exception {
        final int port = start();
        assertAnsweredByWeir(port, "GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", 400);
        assertAnsweredByWeir(port, "GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n", 400);
        assertAnsweredByWeir(port, "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400);
        assertAnsweredByWeir(port, "GET http://a b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    }

    @Test
    void shouldForwardAnIpv6LiteralHost() throws Exception {
        final int port = start();
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n").status);
        }
        assertOriginReceived("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n" + added("[2001:db8::1]:8080"));
    }

    // ---- rule 4

    @Test
    void shouldForwardTheAsteriskFormWithOptionsAndRefuseItOtherwise() throws Exception {
        final int port = start();
        assertAnsweredByWeir(port, "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").status);
        }
        assertOriginReceived("OPTIONS * HTTP/1.1\r\nHost: h\r\n" + added("h"));
    }

    // ---- rule 5

    @Test
    void shouldAnswerUriTooLongForALongRequestLineAndHeadTooLargeForLongFields() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2), config -> config.maxRequestLineBytes(1024));
        final String longest = "GET /" + "a".repeat(1024 - "GET / HTTP/1.1".length()) + " HTTP/1.1";
        assertAnsweredByWeir(port, "GET /" + "a".repeat(1020) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414);
        // Answered before the head is whole: the client has not even ended the line.
        assertAnsweredByWeir(port, "GET /" + "a".repeat(1100), 414);
        assertAnsweredByWeir(port, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "b".repeat(4100) + "\r\n\r\n", 431);
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, longest + "\r\nHost: h\r\n\r\n").status);
        }
        assertOriginReceived(longest + "\r\nHost: h\r\n" + added("h"));
    }

    // ---- rule 6

    @Test
    void shouldAnswerHeadTooLargeBeyondTheConfiguredFieldCount() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2), config -> config.maxHeaders(5));
        assertAnsweredByWeir(port, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", 431);
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")
                .status);
        }
        assertOriginReceived("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n" + added("h"));
    }

    // ---- rule 7

    @Test
    void shouldAnswerContentTooLargeForAContentLengthOverTheLimitAtOnce() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2), config -> config.maxBodyBytes(100));
        assertAnsweredByWeir(port, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", 413);
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n"
                + "x".repeat(100)).status);
        }
        assertOriginReceived("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n" + added("h")
            + "x".repeat(100));
    }

    @Test
    void shouldAnswerContentTooLargeForAChunkedBodyThatArrivesOverTheLimitWithItsHead() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2), config -> config.maxBodyBytes(100));
        assertAnsweredByWeir(port, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "c8\r\n" + "y".repeat(200) + "\r\n0\r\n\r\n", 413);
    }

    @Test
    void shouldAnswerContentTooLargeWhenAStreamingChunkedBodyOutgrowsTheLimit() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2), config -> config.maxBodyBytes(100));
        final String head = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        final String first = "a\r\n" + "z".repeat(10) + "\r\n";
        try (RawHttp client = new RawHttp(port)) {
            client.send(head + first);
            // The first part went to the origin: the head rewritten, the chunk verbatim.
            final String forwarded = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n" + added("h")
                + first;
            assertOriginReceived(forwarded);
            client.send("64\r\n" + "z".repeat(100) + "\r\n0\r\n\r\n");
            final RawHttp.Response response = client.read(false);
            assertEquals(413, response.status, response.head);
            assertEquals(RawHttp.End.EOF, client.readToEnd().kind);
            // Nothing of the part that broke the limit reached the origin, whose connection was dropped.
            ScriptedOrigin.await("the origin connection is closed", () -> origin.openConnections() == 0, WAIT_MS);
            assertEquals(forwarded, origin.received(0));
        }
    }

    // ---- rule 8

    @Test
    void shouldReplaceTheClientsProtoAndHostAndAppendToItsForwardedForForwardedAndVia() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2), config -> config.forwarded(true));
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "GET / HTTP/1.1\r\nHost: h:81\r\nX-Forwarded-For: 192.0.2.1\r\n"
                + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: spoofed\r\nForwarded: for=192.0.2.1\r\n"
                + "Via: 1.0 edge\r\n\r\n").status);
        }
        assertOriginReceived("GET / HTTP/1.1\r\nHost: h:81\r\nX-Forwarded-For: 192.0.2.1, 127.0.0.1\r\n"
            + "Forwarded: for=192.0.2.1, for=127.0.0.1;host=\"h:81\";proto=http\r\nVia: 1.0 edge, 1.1 weir\r\n"
            + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: h:81\r\n\r\n");
    }

    @Test
    void shouldRelayTheClientsFieldsUntouchedWithTheSwitchesOff() throws Exception {
        final int port = start(ScriptedOrigin.Reply.ok(2),
            config -> config.xForwardedProto(false).xForwardedHost(false).forwarded(false).via(false));
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n"
                + "Via: 1.0 edge\r\n\r\n").status);
        }
        assertOriginReceived("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nVia: 1.0 edge\r\n"
            + "X-Forwarded-For: 127.0.0.1\r\n\r\n");
    }

    // ---- rule 9

    @Test
    void shouldDropEveryFieldALongConnectionListNames() throws Exception {
        final int port = start();
        final StringBuilder request = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        final StringBuilder kept = new StringBuilder();
        final StringBuilder connection = new StringBuilder("Connection: keep-alive");
        for (int i = 0; i < 80; i++) {
            final String field = "X-F" + i + ": " + i + "\r\n";
            request.append(field);
            if (i % 2 == 0) {
                connection.append(", x-f").append(i);
            } else {
                kept.append(field);
            }
        }
        request.append(connection).append("\r\n\r\n");
        try (RawHttp client = new RawHttp(port)) {
            assertEquals(200, exchange(client, request.toString()).status);
        }
        assertOriginReceived("GET / HTTP/1.1\r\nHost: h\r\n" + kept + added("h"));
    }

    // ---- rule 10

    @Test
    void shouldAnswerBadRequestNotNotImplementedForAFoldedTransferEncoding() throws Exception {
        final int port = start();
        assertAnsweredByWeir(port, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
            + "0\r\n\r\n", 400);
        assertTrue(origin.receivedConnections() == 0);
    }
}
