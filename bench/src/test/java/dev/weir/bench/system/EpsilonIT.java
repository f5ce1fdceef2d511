package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.bench.load.LoadGenerator;
import dev.weir.bench.load.LoadOptions;
import dev.weir.bench.load.LoadResult;
import dev.weir.bench.origin.DemoOrigin;
import dev.weir.bench.support.WeirProcess;

/**
 * The zero-garbage check on the real launcher: {@code bin/weir} runs under the Epsilon collector, which never
 * reclaims anything, so every byte allocated stays in the heap. After a warm-up, many keep-alive requests must
 * leave the heap's used size all but unchanged; a hot path that allocated would fill it (and, with
 * {@code -XX:+ExitOnOutOfMemoryError}, end the process).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EpsilonIT {

    /**
     * Epsilon replaces the launcher's Serial collector (the later flag wins). Without thread-local allocation
     * buffers every allocation moves the heap's top, so the used size is exact rather than TLAB-grained.
     */
    private static final String EPSILON =
        "-XX:-UseSerialGC -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -XX:-UseTLAB";
    private static final Pattern USED = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+), 0x([0-9a-f]+)\\)");
    private static final int CONNECTIONS = 4;
    private static final int IDLE_CLIENTS = 200;
    private static final long WARM_UP_REQUESTS = 30_000;
    private static final long MEASURED_REQUESTS = 100_000;
    /**
     * The admin listener's JDK HttpServer runs its timer task first 10 s after it starts ({@code
     * sun.net.httpserver.clockTick}) and allocates about 74 KB then, once, on its own thread (measured on an idle
     * Weir, main's build too; none without the listener). The measured window starts after it, so it does not
     * depend on how fast the warm-up was.
     */
    private static final Duration ADMIN_FIRST_TICK = Duration.ofSeconds(12);

    @TempDir
    Path dir;

    @Test
    void shouldServeKeepAliveRequestsUnderEpsilonWithoutGrowingTheHeap() throws Exception {
        serveWithoutGrowingTheHeap("");
    }

    /** The access log's producers (stage threads) and its own thread allocate nothing per request either. */
    @Test
    void shouldServeKeepAliveRequestsUnderEpsilonWithTheAccessLogOnWithoutGrowingTheHeap() throws Exception {
        final Path log = dir.resolve("access.log");
        serveWithoutGrowingTheHeap(" with the access log", "--set", "access-log.path=" + log,
            "--set", "access-log.format=json");
        final long lines = Files.lines(log).count();
        System.out.printf("weir-it epsilon: %d access log lines%n", lines);
        assertTrue(lines > 0 && lines <= WARM_UP_REQUESTS + MEASURED_REQUESTS, "lines: " + lines);
    }

    /**
     * With many connections open, descriptors are numbered past 127, the JDK's own {@code Integer} cache, and
     * the epoll selector boxes each ready one: the launcher's {@code -XX:AutoBoxCacheMax} (the plan's descriptor
     * count) keeps those boxes ready-made. 200 idle clients hold the low numbers, so the measured connections and
     * their origin connections all get descriptors above 200.
     */
    @Test
    void shouldServeKeepAliveRequestsUnderEpsilonWithDescriptorsNumberedPast127WithoutGrowingTheHeap()
        throws Exception {
        final List<Socket> idle = new ArrayList<>();
        try {
            serveWithoutGrowingTheHeap(" with descriptors past 127", port -> {
                for (int i = 0; i < IDLE_CLIENTS; i++) {
                    idle.add(new Socket(InetAddress.getLoopbackAddress(), port));
                }
            }, "--set", "timeout.client-head=10m");
        } finally {
            for (final Socket socket : idle) {
                socket.close();
            }
        }
    }

    /** Something to do once Weir is ready, before the warm-up. */
    private interface BeforeLoad {
        void run(int port) throws IOException;
    }

    private void serveWithoutGrowingTheHeap(final String what, final String... extra) throws Exception {
        serveWithoutGrowingTheHeap(what, port -> { }, extra);
    }

    private void serveWithoutGrowingTheHeap(final String what, final BeforeLoad beforeLoad, final String... extra)
        throws Exception {
        // The metrics observers always count; the admin listener is on too (not scraped: a scrape allocates,
        // on its own thread, by design).
        final List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--set",
            "admin.listen=127.0.0.1:0"));
        args.addAll(List.of(extra));
        try (DemoOrigin origin = DemoOrigin.start("127.0.0.1", 0, 1);
            WeirProcess weir = WeirProcess.startWithJavaOpts(Duration.ofSeconds(60), EPSILON,
                concat(args, "--upstream", "127.0.0.1:" + origin.port()))) {
            beforeLoad.run(weir.port());
            assertEquals(WARM_UP_REQUESTS, load(weir, WARM_UP_REQUESTS).requests());
            // A timer, not a condition this test can observe: wait it out, bounded by ADMIN_FIRST_TICK.
            while (weir.sinceReady().compareTo(ADMIN_FIRST_TICK) < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            final long before = heapUsedBytes(weir.pid());
            final LoadResult measured = load(weir, MEASURED_REQUESTS);
            final long after = heapUsedBytes(weir.pid());

            assertEquals(MEASURED_REQUESTS, measured.requests());
            assertEquals(0, measured.errors());
            assertTrue(weir.isAlive(), weir.output());
            final long grown = after - before;
            System.out.printf("weir-it epsilon%s: heap used %d -> %d bytes over %d requests (%.3f B/request)%n",
                what, before, after, MEASURED_REQUESTS, (double) grown / MEASURED_REQUESTS);
            // The load generator opens its 4 connections again (the JDK's channel and key objects, about 1 KiB
            // each) and jcmd attaches; measured: 3.5 KiB in all. 64 KiB is 0.66 B per request at most.
            assertTrue(grown < 64 * 1024, "heap grew by " + grown + " bytes over " + MEASURED_REQUESTS
                + " requests under Epsilon");
        }
    }

    private static String[] concat(final List<String> args, final String... more) {
        final List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    private static LoadResult load(final WeirProcess weir, final long requests)
        throws IOException, InterruptedException {
        return LoadGenerator.run(new LoadOptions().port(weir.port()).path("/bytes/128").connections(CONNECTIONS)
            .requests(requests).expectStatus(200).expectBodyBytes(128).maxRunMs(60_000));
    }

    /** @return bytes in use in Epsilon's allocation space, from {@code jcmd PID GC.heap_info}. */
    private static long heapUsedBytes(final long pid) throws IOException, InterruptedException {
        final Process jcmd = new ProcessBuilder(jcmdPath(), Long.toString(pid), "GC.heap_info")
            .redirectErrorStream(true).start();
        final String text = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(jcmd.waitFor(30, TimeUnit.SECONDS), "jcmd did not finish");
        assertTrue(text.contains("Epsilon Heap"), "not running under Epsilon:\n" + text);
        final Matcher m = USED.matcher(text);
        assertTrue(m.find(), "no heap bounds in:\n" + text);
        return Long.parseLong(m.group(2), 16) - Long.parseLong(m.group(1), 16);
    }

    private static String jcmdPath() {
        return java.nio.file.Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString();
    }
}
