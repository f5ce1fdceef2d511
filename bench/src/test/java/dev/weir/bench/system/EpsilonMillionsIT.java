package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.bench.load.LoadGenerator;
import dev.weir.bench.load.LoadOptions;
import dev.weir.bench.load.LoadResult;
import dev.weir.bench.origin.DemoOrigin;
import dev.weir.bench.support.WeirProcess;

/**
 * Five million requests under Epsilon, which never collects: 90 % keep-alive with 128 B bodies and 10 % with
 * 16 KiB bodies through the real launcher, with a heap ({@value #HEAP}) that a hot path allocating even 16 bytes
 * a request would exhaust (and {@code -XX:+ExitOnOutOfMemoryError} would end the process). Asserts no error, no
 * collection, and allocation per request of about zero on the stage threads (the JVM's exact per-thread count,
 * from the stats line) and in the whole heap ({@code jcmd GC.heap_info}).
 * <p>
 * Tagged {@code epsilon-5m}: run with {@code -Pepsilon-5m} (see docs/TESTING.md); {@code -Dweir.epsilon.requests=N}
 * changes the count.
 */
@Tag("epsilon-5m")
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class EpsilonMillionsIT {

    private static final String EPSILON =
        "-XX:-UseSerialGC -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -XX:-UseTLAB";
    private static final String HEAP = "128m";
    private static final long REQUESTS = Long.getLong("weir.epsilon.requests", 5_000_000);
    private static final long LARGE_REQUESTS = REQUESTS / 10;
    private static final long SMALL_REQUESTS = REQUESTS - LARGE_REQUESTS;
    private static final long WARM_UP_REQUESTS = 50_000;
    private static final int SMALL_BYTES = 128;
    private static final int LARGE_BYTES = 16 * 1024;
    private static final Pattern USED = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+), 0x([0-9a-f]+)\\)");
    private static final String STATS = "weir stats: ";
    /** What the stage threads may allocate per request, besides what each new connection costs. */
    private static final double MAX_STAGE_BYTES_PER_REQUEST = 0.01;
    /**
     * The accept stage allocates the JDK's channel and key objects for each accepted connection (measured 5,120 B
     * for the 6 of the measured phases), never per request.
     */
    private static final long STAGE_BYTES_PER_CONNECTION = 2048;
    private static final int SMALL_CONNECTIONS = 4;
    private static final int LARGE_CONNECTIONS = 2;
    /** The whole heap, besides the stats lines below: the new connections' JDK objects and jcmd's attach. */
    private static final double MAX_HEAP_BYTES_PER_REQUEST = 0.1;
    /**
     * What the main thread allocates for one stats line (MXBeans, formatting, /proc/self/status): measured 77 KB
     * on an idle Weir under Epsilon (41 lines at 0.25 s); allowed per line printed during the window.
     */
    private static final long STATS_LINE_HEAP_BYTES = 128 * 1024;

    @Test
    void shouldServeFiveMillionRequestsUnderEpsilonWithoutAllocatingPerRequest() throws Exception {
        try (DemoOrigin origin = DemoOrigin.start("127.0.0.1", 0, 1);
            WeirProcess weir = WeirProcess.startWithJavaOpts(Duration.ofSeconds(60), EPSILON, "--listen",
                "127.0.0.1:0", "--upstream", "127.0.0.1:" + origin.port(), "--heap", HEAP, "--stats-interval", "5")) {
            assertEquals(WARM_UP_REQUESTS, load(weir, SMALL_BYTES, 4, WARM_UP_REQUESTS).requests());
            assertEquals(WARM_UP_REQUESTS / 10, load(weir, LARGE_BYTES, 2, WARM_UP_REQUESTS / 10).requests());
            final long[] before = statsAfter(weir, weir.linesStartingWith(STATS).size());
            final long heapBefore = heapUsedBytes(weir.pid());
            final long startNs = System.nanoTime();
            final LoadResult small = load(weir, SMALL_BYTES, SMALL_CONNECTIONS, SMALL_REQUESTS);
            final LoadResult large = load(weir, LARGE_BYTES, LARGE_CONNECTIONS, LARGE_REQUESTS);
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            final long heapAfter = heapUsedBytes(weir.pid());
            final long[] after = statsAfter(weir, weir.linesStartingWith(STATS).size());
            final long statsLines = after[7] - before[7];

            assertTrue(weir.isAlive(), weir.output());
            assertEquals(SMALL_REQUESTS, small.requests());
            assertEquals(LARGE_REQUESTS, large.requests());
            assertEquals(0, small.errors() + large.errors(), "load errors");
            final long served = after[1] - before[1];
            final double stagePerRequest = (after[2] - before[2]) / (double) served;
            final double stagePerRequestBesidesConnections = (after[2] - before[2]
                - STAGE_BYTES_PER_CONNECTION * (SMALL_CONNECTIONS + LARGE_CONNECTIONS)) / (double) served;
            final double heapPerRequest = (heapAfter - heapBefore) / (double) REQUESTS;
            final double heapPerRequestBesidesStats = (heapAfter - heapBefore - statsLines * STATS_LINE_HEAP_BYTES)
                / (double) REQUESTS;
            System.out.printf("weir-it epsilon %d requests in %.0f s: stage threads %d B (%.4f B/request), heap %d ->"
                + " %d B (%.4f B/request, %d stats lines), gc %d -> %d, rss %d -> %d KiB (hwm %d KiB), errors %d%n",
                served, seconds, after[2] - before[2], stagePerRequest, heapBefore, heapAfter, heapPerRequest,
                statsLines, before[3], after[3], before[4], after[4], after[5], after[6] - before[6]);
            assertTrue(served >= REQUESTS, "requests parsed " + served);
            assertEquals(0, after[3], "collections under Epsilon");
            assertEquals(before[6], after[6], "connection errors");
            assertTrue(stagePerRequestBesidesConnections <= MAX_STAGE_BYTES_PER_REQUEST, stagePerRequest
                + " B/request on stage threads");
            assertTrue(heapPerRequestBesidesStats <= MAX_HEAP_BYTES_PER_REQUEST, heapPerRequest + " B/request in the"
                + " heap with " + statsLines + " stats lines");
        }
    }

    private static LoadResult load(final WeirProcess weir, final int bodyBytes, final int connections,
        final long requests) throws IOException, InterruptedException {
        return LoadGenerator.run(new LoadOptions().port(weir.port()).path("/bytes/" + bodyBytes)
            .connections(connections).requests(requests).expectStatus(200).expectBodyBytes(bodyBytes)
            .maxRunMs(TimeUnit.MINUTES.toMillis(25)));
    }

    /**
     * Waits (up to 15 s: three intervals) for the stats line numbered {@code index} (from 0), printed after the
     * moment the caller counted {@code index} lines.
     *
     * @return uptime_ms, requests, stage_allocated_bytes, gc_count, rss_kib, hwm_kib, errors, and the line's number.
     */
    private static long[] statsAfter(final WeirProcess weir, final int index) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            final List<String> lines = weir.linesStartingWith(STATS);
            if (lines.size() > index) {
                final String line = lines.get(index);
                return new long[] {field(line, "uptime_ms"), field(line, "requests"),
                    field(line, "stage_allocated_bytes"), field(line, "gc_count"), field(line, "rss_kib"),
                    field(line, "hwm_kib"), field(line, "errors"), index};
            }
            // A line comes every 5 s: look again shortly rather than spin on a shared machine.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new AssertionError("no stats line number " + index + " within 15 s:\n" + weir.output());
    }

    private static long field(final String line, final String name) {
        final Matcher m = Pattern.compile(" " + name + "=(-?\\d+)").matcher(line);
        assertTrue(m.find(), name + " not in " + line);
        return Long.parseLong(m.group(1));
    }

    /** @return bytes in use in Epsilon's allocation space, from {@code jcmd PID GC.heap_info}. */
    private static long heapUsedBytes(final long pid) throws IOException, InterruptedException {
        final Process jcmd = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString(),
            Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        final String text = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(jcmd.waitFor(30, TimeUnit.SECONDS), "jcmd did not finish");
        assertTrue(text.contains("Epsilon Heap"), "not running under Epsilon:\n" + text);
        final Matcher m = USED.matcher(text);
        assertTrue(m.find(), "no heap bounds in:\n" + text);
        return Long.parseLong(m.group(2), 16) - Long.parseLong(m.group(1), 16);
    }
}
