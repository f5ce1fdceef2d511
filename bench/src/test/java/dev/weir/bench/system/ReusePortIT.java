package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.bench.support.ScriptedOrigin.Reply;
import dev.weir.bench.support.WeirProcess;

/**
 * Two real {@code bin/weir} processes on one fixed port with {@code accept.reuse-port}: each stands in front of
 * its own origin, whose body names it, and fresh connections to the port reach both. Without the key, a second
 * process on the taken port exits with status 1 and one line naming {@code accept.listen} and the key.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReusePortIT {

    /** Generous: the test must not hang, not measure speed. */
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /**
     * Fresh connections, each with its own source port: the kernel picks a listener by a hash of the four-tuple,
     * so the chance that all of them land on one of two processes is 2^-199.
     */
    private static final int CONNECTIONS = 200;
    private static final String BODY_A = "served-by-a";
    private static final String BODY_B = "served-by-b";

    private static Reply identifying(final String body) {
        return Reply.raw("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body, true);
    }

    /** A port free right now on 127.0.0.1; the processes under test bind it as a fixed port. */
    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return probe.getLocalPort();
        }
    }

    /** A small plan: two of them run side by side on a shared machine. */
    private static String[] args(final int port, final ScriptedOrigin origin, final boolean reusePort) {
        return new String[] {"--listen", "127.0.0.1:" + port, "--upstream", "127.0.0.1:" + origin.port(),
            "--connections", "64", "--set", "accept.reuse-port=" + reusePort};
    }

    /** One request on a fresh connection that asks to be closed; @return the response body. */
    private static String bodyOfFreshRequest(final int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            final OutputStream out = socket.getOutputStream();
            out.write("GET /who HTTP/1.1\r\nHost: shared\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(response.startsWith("HTTP/1.1 200 "), response);
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void shouldServeFreshConnectionsFromBothProcessesSharingOnePort() throws Exception {
        final int port = freePort();
        try (ScriptedOrigin originA = ScriptedOrigin.always(identifying(BODY_A));
            ScriptedOrigin originB = ScriptedOrigin.always(identifying(BODY_B));
            WeirProcess a = WeirProcess.start(DEADLINE, args(port, originA, true));
            WeirProcess b = WeirProcess.start(DEADLINE, args(port, originB, true))) {
            assertEquals(port, a.port());
            assertEquals(port, b.port());
            int servedByA = 0;
            int servedByB = 0;
            final List<String> other = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                final String body = bodyOfFreshRequest(port);
                if (body.equals(BODY_A)) {
                    servedByA++;
                } else if (body.equals(BODY_B)) {
                    servedByB++;
                } else {
                    other.add(body);
                }
            }
            System.out.printf("weir-it reuse-port: %d fresh connections to port %d: %d served by process a, %d by b%n",
                CONNECTIONS, port, servedByA, servedByB);
            assertTrue(other.isEmpty(), "bodies from neither origin: " + other);
            assertTrue(servedByA > 0 && servedByB > 0, "both processes serve: a " + servedByA + ", b " + servedByB
                + "\n--- a:\n" + a.output() + "\n--- b:\n" + b.output());
            assertEquals(servedByA, originA.requests(), "process a forwarded each of its requests to origin a");
            assertEquals(servedByB, originB.requests(), "process b forwarded each of its requests to origin b");
            assertTrue(a.isAlive() && b.isAlive());
        }
    }

    @Test
    void shouldRefuseToStartASecondProcessOnATakenPortWithoutReusePort() throws Exception {
        final int port = freePort();
        try (ScriptedOrigin origin = ScriptedOrigin.always(identifying(BODY_A));
            WeirProcess first = WeirProcess.start(DEADLINE, args(port, origin, false))) {
            try (WeirProcess second = WeirProcess.launch(args(port, origin, false))) {
                assertEquals(1, second.awaitExit(DEADLINE), "exit status 1: start failed\n" + second.output());
                final String line = second.linesStartingWith("weir: ").toString();
                assertTrue(line.contains("accept.listen 127.0.0.1:" + port + ": ")
                    && line.contains("set accept.reuse-port: true on every process"), second.output());
                assertTrue(second.linesStartingWith(WeirProcess.READY_PREFIX).isEmpty(), second.output());
            }
            // Turning the key on in the second process alone does not take the port from the first either.
            try (WeirProcess second = WeirProcess.launch(args(port, origin, true))) {
                assertEquals(1, second.awaitExit(DEADLINE), second.output());
                assertTrue(second.linesStartingWith("weir: ").toString()
                    .contains("every process on the port must set it"), second.output());
            }
            assertEquals(BODY_A, bodyOfFreshRequest(port), "the first process still serves the port");
            assertTrue(first.isAlive());
        }
    }
}
