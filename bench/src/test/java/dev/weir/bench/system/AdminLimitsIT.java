package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.admin.AdminServer;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.bench.support.WeirProcess;

/**
 * One peer cannot hold the admin listener: while a half-sent request waits on its own handler thread,
 * {@code /health} and {@code /metrics} answer on other connections at once; the half-sent request is cut at the
 * request deadline, connections beyond a peer's seats are closed on accept, and silent ones are closed at the
 * request deadline, after which {@code /metrics} answers again; a peer that keeps every connection it can open
 * silent, and opens another for each one closed, does not keep another peer's probes out. Real sockets on
 * {@code bin/weir}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminLimitsIT {

    private static final Duration READY = Duration.ofSeconds(60);
    /** The request deadline plus the JDK server's look interval, and room for a loaded machine. */
    private static final long REQUEST_CUT_MS = 25_000;
    /** The idle deadline plus the JDK server's 10 s look interval, and room for a loaded machine. */
    private static final long IDLE_CUT_MS = 40_000;
    /**
     * A connection beyond the cap is closed on accept: well before the request deadline (5 s) would close a
     * connection that sends nothing, so this wait fails if the cap did not act.
     */
    private static final long BEYOND_CAP_CUT_MS = 3_000;
    /**
     * A probe beside a half-sent request answers well before the request deadline (5 s, looked for every 5 s)
     * could free a thread the two shared: this wait fails if the probe waited behind the half-sent request.
     */
    private static final long BESIDE_HALF_MS = 3_000;

    @Test
    void shouldAnswerBesideAHalfSentRequestCutItAndCloseConnectionsBeyondTheCapAndIdleOnes() throws Exception {
        try (WeirProcess weir = WeirProcess.start(READY, "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
            "--set", "admin.listen=127.0.0.1:0")) {
            final int port = weir.adminPort();
            try (Socket half = connect(port, REQUEST_CUT_MS)) {
                // The one handler thread reads a request blocking: without a deadline it would wait here forever.
                half.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: a\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                half.getOutputStream().flush();
                // Its handler thread now reads it blocking; probes and scrapes on other connections have their own.
                for (int i = 0; i < 3; i++) {
                    assertTrue(get(port, "/health", BESIDE_HALF_MS).startsWith("HTTP/1.1 200 "),
                        "health answers beside a half-sent request");
                }
                assertTrue(get(port, "/metrics", BESIDE_HALF_MS).contains("weir_requests_total"),
                    "metrics answer beside a half-sent request");
                // Cut at the request deadline.
                assertEquals(-1, readEnd(half), "the half-sent request's connection is closed");
            }
            assertTrue(get(port, "/health", REQUEST_CUT_MS).startsWith("HTTP/1.1 200 "), "health answers after");
            final Socket[] idle = new Socket[AdminServer.DEFAULT_MAX_CONNECTIONS];
            try {
                for (int i = 0; i < idle.length; i++) {
                    idle[i] = connect(port, IDLE_CUT_MS);
                }
                try (Socket excess = connect(port, BEYOND_CAP_CUT_MS)) {
                    assertEquals(-1, readEnd(excess), "a connection beyond the cap is closed on accept");
                }
                // Each idle one is closed by the server (a clean end of stream), nothing sent on it.
                for (int i = 0; i < idle.length; i++) {
                    assertEquals(-1, readEnd(idle[i]), "idle admin connection " + i + " closed");
                }
            } finally {
                for (final Socket socket : idle) {
                    if (socket != null) {
                        socket.close();
                    }
                }
            }
            final String[] answer = new String[1];
            ScriptedOrigin.await("/metrics answers once the idle connections are gone", () -> {
                try {
                    answer[0] = get(port, "/metrics", REQUEST_CUT_MS);
                } catch (final IOException ex) {
                    answer[0] = ex.toString();
                }
                return answer[0].startsWith("HTTP/1.1 200 ");
            }, IDLE_CUT_MS);
            assertTrue(answer[0].contains("weir_requests_total"), answer[0]);
        }
    }

    /**
     * A peer (127.0.0.2) opens every admin connection it can, sends nothing, and opens another for each one the
     * server closes; probes from another peer (127.0.0.1) are answered all the while.
     */
    @Test
    void shouldAnswerProbesWhileAnotherPeerHoldsEverySeatItCanAndReopensEachOneClosed() throws Exception {
        try (WeirProcess weir = WeirProcess.start(READY, "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
            "--set", "admin.listen=127.0.0.1:0")) {
            final int port = weir.adminPort();
            final InetAddress other = InetAddress.getByName("127.0.0.2");
            final Socket[] held = new Socket[AdminServer.DEFAULT_MAX_CONNECTIONS + 2];
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicInteger opened = new AtomicInteger();
            final Thread holder = new Thread(() -> {
                while (!stop.get()) {
                    for (int i = 0; i < held.length && !stop.get(); i++) {
                        try {
                            if (held[i] == null || isClosedByPeer(held[i])) {
                                if (held[i] != null) {
                                    held[i].close();
                                }
                                held[i] = new Socket(InetAddress.getLoopbackAddress(), port, other, 0);
                                opened.incrementAndGet();
                            }
                        } catch (final IOException ex) {
                            held[i] = null;
                        }
                    }
                }
            }, "admin-seat-holder");
            holder.start();
            try {
                ScriptedOrigin.await("the other peer holds its seats", () -> opened.get() >= held.length, 10_000);
                for (int i = 0; i < 5; i++) {
                    assertTrue(get(port, "/health", BESIDE_HALF_MS).startsWith("HTTP/1.1 200 "),
                        "probe " + i + " answered beside a peer holding every seat it can");
                }
                assertTrue(get(port, "/metrics", BESIDE_HALF_MS).contains("weir_requests_total"));
            } finally {
                stop.set(true);
                holder.join(10_000);
                for (final Socket socket : held) {
                    if (socket != null) {
                        socket.close();
                    }
                }
            }
            assertTrue(opened.get() > AdminServer.MAX_SEATS_PER_PEER, "the holder reopened closed connections: "
                + opened.get());
        }
    }

    /** @return {@code true} when the server ended or reset the connection; waits at most 20 ms. */
    private static boolean isClosedByPeer(final Socket socket) throws IOException {
        socket.setSoTimeout(20);
        try {
            return socket.getInputStream().read() < 0;
        } catch (final SocketTimeoutException ex) {
            return false;
        } catch (final SocketException ex) {
            return true;
        }
    }

    private static Socket connect(final int port, final long readTimeoutMs) throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) readTimeoutMs);
        return socket;
    }

    /** @return -1 when the peer ended the stream or reset it, the byte read otherwise. */
    private static int readEnd(final Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (final SocketTimeoutException ex) {
            throw new AssertionError("the server kept the connection open past its deadline", ex);
        } catch (final SocketException ex) {
            return -1;
        }
    }

    private static String get(final int port, final String path, final long readTimeoutMs) throws IOException {
        try (Socket socket = connect(port, readTimeoutMs)) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
