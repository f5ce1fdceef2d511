package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.bench.http.BodyPattern;
import dev.weir.bench.support.RawHttp;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;

/**
 * A soak: for {@code weir.soak.seconds} (default 60) normal keep-alive clients run beside clients that trickle
 * their heads, stall on big responses and abandon requests half way. The normal clients must keep a bounded
 * p99 and never fail, and nothing may leak (the extension's check). Run with {@code mvn -Psoak ...}; tagged
 * {@code soak} and left out of the default run.
 */
@Tag("soak")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SoakIT {

    private static final long SECONDS = Long.getLong("weir.soak.seconds", 60);
    private static final int NORMAL = 8;
    private static final int TRICKLERS = 20;
    private static final int STALLERS = 20;
    private static final int ABANDONERS = 4;
    private static final int DRIBBLERS = 10;
    private static final int SIPPERS = 10;
    /** The least rate asked of a client: 32 KiB per 500 ms window, far above what dribblers and sippers move. */
    private static final long MIN_RATE = 64 * 1024;
    private static final long DEADLINE_MS = 500;
    /** The normal clients' p99 must stay under this while the others misbehave. */
    private static final long P99_BOUND_MS = 200;
    private static final int NORMAL_BYTES = 1000;

    @RegisterExtension
    final WeirExtension weir = new WeirExtension();

    @Test
    void shouldKeepNormalClientsFastAndLeakNothingBesideSlowStalledAndAbandoningClients() throws Exception {
        final Pipeline pipeline = weir.start(config -> config.connections(256).clientHeadTimeoutMs(DEADLINE_MS)
            .clientBodyTimeoutMs(DEADLINE_MS).clientSendTimeoutMs(DEADLINE_MS).keepAliveTimeoutMs(5_000)
            .upstreamResponseTimeoutMs(5_000).lingerTimeoutMs(DEADLINE_MS).clientMinRateBytes(MIN_RATE));
        final int port = pipeline.listenAddress().getPort();
        final long endNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        final Histogram latencyUs = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        final Queue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong misbehaving = new AtomicLong();
        final ExecutorService executor = Executors.newFixedThreadPool(NORMAL + TRICKLERS + STALLERS + ABANDONERS
            + DRIBBLERS + SIPPERS);
        final List<Future<?>> clients = new ArrayList<>();
        try {
            for (int i = 0; i < NORMAL; i++) {
                clients.add(executor.submit(() -> normal(port, endNs, latencyUs, failures)));
            }
            for (int i = 0; i < TRICKLERS; i++) {
                clients.add(executor.submit(() -> misbehave(port, endNs, misbehaving, SoakIT::trickle)));
            }
            for (int i = 0; i < STALLERS; i++) {
                clients.add(executor.submit(() -> misbehave(port, endNs, misbehaving, SoakIT::stall)));
            }
            for (int i = 0; i < ABANDONERS; i++) {
                clients.add(executor.submit(() -> misbehave(port, endNs, misbehaving, SoakIT::abandon)));
            }
            for (int i = 0; i < DRIBBLERS; i++) {
                clients.add(executor.submit(() -> misbehave(port, endNs, misbehaving, SoakIT::dribble)));
            }
            for (int i = 0; i < SIPPERS; i++) {
                clients.add(executor.submit(() -> misbehave(port, endNs, misbehaving, SoakIT::sip)));
            }
            for (final Future<?> client : clients) {
                client.get(SECONDS + 60, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
        final long leakStart = System.nanoTime();
        AssertionError leak = null;
        try {
            WeirExtension.awaitIdle(pipeline);
        } catch (final AssertionError e) {
            leak = e;
        }
        final long p50 = latencyUs.getValueAtPercentile(50);
        final long p99 = latencyUs.getValueAtPercentile(99);
        System.out.printf("weir-it soak %d s: %d normal requests p50 %d us p99 %d us max %d us; %d misbehaving"
            + " connections; %d normal failures; %s %d ms after the load (%s)%n", SECONDS,
            latencyUs.getTotalCount(), p50, p99, latencyUs.getMaxValue(), misbehaving.get(), failures.size(),
            leak == null ? "idle" : "LEAK", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - leakStart),
            pipeline.describePools());
        final StringBuilder expired = new StringBuilder();
        for (int kind = 0; kind < TimeoutKind.COUNT; kind++) {
            expired.append(' ').append(TimeoutKind.name(kind)).append('=')
                .append(WeirExtension.expirations(pipeline, kind));
        }
        System.out.println("weir-it soak expirations:" + expired);
        if (leak != null) {
            throw leak;
        }
        assertTrue(failures.isEmpty(), failures.size() + " normal requests failed, first: " + failures.peek());
        assertTrue(latencyUs.getTotalCount() > SECONDS * 100, "normal requests made progress");
        assertTrue(p99 <= TimeUnit.MILLISECONDS.toMicros(P99_BOUND_MS), "normal p99 " + p99 + " us");
        assertEquals(0, pipeline.bugs(), "bugs");
        // Each dribbler and sipper is cut at the minimum rate, again and again, not served for the whole soak.
        assertTrue(WeirExtension.expirations(pipeline, TimeoutKind.CLIENT_BODY) >= DRIBBLERS * SECONDS / 2,
            "dribblers cut");
    }

    private static Void normal(final int port, final long endNs, final Histogram latencyUs,
        final Queue<String> failures) throws IOException {
        final byte[] request = ("GET /bytes/" + NORMAL_BYTES + " HTTP/1.1\r\nHost: weir\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
        RawHttp http = new RawHttp(port);
        try {
            for (int i = 0; System.nanoTime() - endNs < 0; i++) {
                if (i % 100 == 99) {
                    // A fresh connection now and then, so accepting is measured too.
                    http.close();
                    http = new RawHttp(port);
                }
                final long start = System.nanoTime();
                try {
                    http.send(request);
                    final RawHttp.Response response = http.read(false);
                    if (response.status != 200 || BodyPattern.mismatch(response.body, 0, NORMAL_BYTES, 0) >= 0
                        || response.body.length != NORMAL_BYTES) {
                        failures.add(response.head);
                    }
                } catch (final IOException e) {
                    failures.add(e.toString());
                    http.close();
                    http = new RawHttp(port);
                }
                synchronized (latencyUs) {
                    latencyUs.recordValue(Math.min(latencyUs.getHighestTrackableValue(),
                        TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start)));
                }
            }
        } finally {
            http.close();
        }
        return null;
    }

    /** One misbehaving connection. */
    @FunctionalInterface
    private interface Misbehaviour {
        void run(Socket socket, long endNs) throws IOException, InterruptedException;
    }

    private static Void misbehave(final int port, final long endNs, final AtomicLong count,
        final Misbehaviour misbehaviour) throws InterruptedException {
        while (System.nanoTime() - endNs < 0) {
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(4096);
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                socket.setSoTimeout(10_000);
                count.incrementAndGet();
                misbehaviour.run(socket, endNs);
            } catch (final IOException e) {
                // The proxy cut it off or refused it: that is the point; start another.
            }
        }
        return null;
    }

    /** A head a byte every 50 ms, until the proxy gives up on it or the soak ends. */
    private static void trickle(final Socket socket, final long endNs) throws IOException, InterruptedException {
        final byte[] head = ("GET / HTTP/1.1\r\nHost: weir\r\nX-Slow: " + "s".repeat(1000))
            .getBytes(StandardCharsets.ISO_8859_1);
        for (final byte b : head) {
            if (System.nanoTime() - endNs > 0) {
                return;
            }
            socket.getOutputStream().write(b);
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** Asks for 100 MB and reads nothing for a second, twice its send deadline, then reads to the end. */
    private static void stall(final Socket socket, final long endNs) throws IOException, InterruptedException {
        socket.getOutputStream().write("GET /bytes/100000000 HTTP/1.1\r\nHost: weir\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        // The stall is the behaviour under test, not a wait for a condition.
        TimeUnit.SECONDS.sleep(1);
        final InputStream in = socket.getInputStream();
        final byte[] buffer = new byte[64 * 1024];
        while (in.read(buffer) >= 0) {
            // What the proxy sent before it gave up on this client; it must end well short of 100 MB.
        }
    }

    /** A body of 1 MB, 100 bytes every 50 ms: progress in every wait, a sixteenth of the minimum rate. */
    private static void dribble(final Socket socket, final long endNs) throws IOException, InterruptedException {
        final OutputStream out = socket.getOutputStream();
        out.write("POST /echo HTTP/1.1\r\nHost: weir\r\nContent-Length: 1000000\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        final byte[] step = new byte[100];
        for (int sent = 0; sent < 1_000_000 && System.nanoTime() - endNs < 0; sent += step.length) {
            out.write(step);
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** Asks for 100 MB and takes 1 KiB every 50 ms, about 20 KB/s: a third of the minimum rate. */
    private static void sip(final Socket socket, final long endNs) throws IOException, InterruptedException {
        socket.getOutputStream().write("GET /bytes/100000000 HTTP/1.1\r\nHost: weir\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        final InputStream in = socket.getInputStream();
        final byte[] step = new byte[1024];
        while (System.nanoTime() - endNs < 0 && in.read(step) >= 0) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** Sends half a body, or reads half a response, then leaves. */
    private static void abandon(final Socket socket, final long endNs) throws IOException {
        if ((System.nanoTime() & 1) == 0) {
            socket.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: weir\r\nContent-Length: 100000\r\n\r\n"
                + "a".repeat(30_000)).getBytes(StandardCharsets.ISO_8859_1));
        } else {
            socket.getOutputStream().write("GET /bytes/1000000 HTTP/1.1\r\nHost: weir\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
            socket.getInputStream().readNBytes(100_000);
        }
    }
}
