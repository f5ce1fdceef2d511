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
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
 * <p>
 * Two figures, because some threads allocate with time rather than with requests: jcmd's attach (the admin
 * listener's threads allocate nothing while no one connects; the JDK HTTP server that served it before allocated
 * about 140 B/s on its timer threads). On a loaded
 * machine the window lasts a minute or more instead of seconds, so one fixed bound on the heap either fails
 * with no request allocating or is too loose to notice one that does.
 * <ul>
 * <li>The threads that handle requests (the stages and the access log's writer), from {@code jcmd PID
 * Thread.print -e} (ThreadMXBean's per-thread bytes): at most {@link #REQUEST_THREADS_ALLOWANCE}, the JDK
 * objects of the few connections opened and reset meanwhile (about 0.7 KiB to accept one, 1.5 KiB for the
 * exception and its stack trace when a client resets). 16 B per request is five times that at the least
 * request count.</li>
 * <li>The whole heap: at most {@link #HEAP_ALLOWANCE} plus {@link #TIME_ALLOWANCE_PER_SECOND} for each second
 * of the window (over three times the admin listener's rate), so any other thread that starts allocating per request
 * or faster with time still fails.</li>
 * </ul>
 * Every thread's figure is printed, so a failure names the thread.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class EpsilonIT {

    /** The heap: the default's 64 MiB less what the plan needs leaves too little for the warm-up's garbage. */
    private static final String HEAP = "256m";

    /**
     * Epsilon replaces the launcher's Serial collector (the later flag wins). Without thread-local allocation
     * buffers every allocation moves the heap's top, so the used size is exact rather than TLAB-grained.
     */
    private static final String EPSILON =
        "-XX:-UseSerialGC -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -XX:-UseTLAB";
    private static final Pattern USED = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+), 0x([0-9a-f]+)\\)");
    private static final int CONNECTIONS = 4;
    private static final int IDLE_CLIENTS = 200;
    private static final long WARM_UP_REQUESTS = 20_000;
    private static final long MEASURED_REQUESTS = 50_000;
    /** On a loaded machine a run may end at its deadline first; fewer requests than this prove too little. */
    private static final long MEASURED_REQUESTS_AT_LEAST = 10_000;
    private static final long WARM_UP_MS = 40_000;
    private static final long MEASURED_MS = 90_000;
    /** See the class comment: a few connections' JDK objects, opened and reset by the load generator. */
    private static final long REQUEST_THREADS_ALLOWANCE = 32 * 1024;
    /** See the class comment: the whole heap, besides what other threads allocate with time. */
    private static final long HEAP_ALLOWANCE = 64 * 1024;
    private static final long TIME_ALLOWANCE_PER_SECOND = 512;
    /** A thread line of {@code jcmd PID Thread.print -e}: its name and the bytes it allocated since it started. */
    private static final Pattern THREAD_ALLOCATED = Pattern.compile("^\"(.+?)\" .* allocated=(\\d+)([BKMG]) ");
    @TempDir
    Path dir;

    /** The defaults: one thread running parse and upstream (fuse-parse-upstream auto). */
    @Test
    void shouldServeKeepAliveRequestsUnderEpsilonWithoutGrowingTheHeap() throws Exception {
        serveWithoutGrowingTheHeap("");
    }

    /** Parse and upstream on threads of their own allocate nothing per request either. */
    @Test
    void shouldServeKeepAliveRequestsUnderEpsilonOnSeparateParseAndUpstreamThreadsWithoutGrowingTheHeap()
        throws Exception {
        serveWithoutGrowingTheHeap(" separate", "--set", "fuse-parse-upstream=false");
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
        // The warm-up before ready (jvm.warm-up) leaves about 50 MiB of JDK socket objects that Epsilon never
        // takes back; the heap is made room for them, and the window below starts after them.
        final List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--set",
            "admin.listen=127.0.0.1:0", "--set", "jvm.heap=" + HEAP));
        args.addAll(List.of(extra));
        try (DemoOrigin origin = DemoOrigin.start("127.0.0.1", 0, 1);
            WeirProcess weir = WeirProcess.startWithJavaOpts(Duration.ofSeconds(60), EPSILON,
                concat(args, "--upstream", "127.0.0.1:" + origin.port()))) {
            beforeLoad.run(weir.port());
            assertEquals(0, load(weir, WARM_UP_REQUESTS, WARM_UP_MS).errors());
            final long before = heapUsedBytes(weir.pid());
            final Map<String, Allocated> threadsBefore = threadAllocations(weir.pid());
            final long startNs = System.nanoTime();
            final LoadResult measured = load(weir, MEASURED_REQUESTS, MEASURED_MS);
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            final Map<String, Allocated> threadsAfter = threadAllocations(weir.pid());
            final long after = heapUsedBytes(weir.pid());

            final long grown = after - before;
            long requestThreads = 0;
            long requestThreadsSlack = 0;
            final StringBuilder perThread = new StringBuilder();
            for (final Map.Entry<String, Allocated> e : threadsAfter.entrySet()) {
                final Allocated was = threadsBefore.getOrDefault(e.getKey(), Allocated.NONE);
                final long delta = e.getValue().bytes - was.bytes;
                if (delta != 0) {
                    perThread.append(' ').append(e.getKey()).append('=').append(delta);
                }
                if (servesRequests(e.getKey())) {
                    requestThreads += delta;
                    requestThreadsSlack += Math.max(e.getValue().unit, was.unit);
                }
            }
            final long allowance = HEAP_ALLOWANCE + Math.round(TIME_ALLOWANCE_PER_SECOND * seconds);
            final long requests = measured.requests();
            System.out.printf("weir-it epsilon%s: heap used %d -> %d bytes over %d requests in %.1f s (%.3f B/request;"
                + " allowance %d); request threads allocated %d bytes (±%d);%s%n", what, before, after, requests,
                seconds, (double) grown / requests, allowance, requestThreads, requestThreadsSlack, perThread);
            assertTrue(requests >= MEASURED_REQUESTS_AT_LEAST, measured.summary());
            assertEquals(0, measured.errors());
            assertTrue(weir.isAlive(), weir.output());
            assertTrue(requestThreads - requestThreadsSlack < REQUEST_THREADS_ALLOWANCE, "the request threads"
                + " allocated " + requestThreads + " bytes (±" + requestThreadsSlack + ") over " + requests
                + " requests:" + perThread);
            assertTrue(grown < allowance, "heap grew by " + grown + " bytes over " + requests
                + " requests in " + seconds + " s under Epsilon:" + perThread);
        }
    }

    /** @return whether the thread named handles requests: the stages and the access log's writer. */
    private static boolean servesRequests(final String thread) {
        return thread.startsWith("weir-accept") || thread.startsWith("weir-parse-")
            || thread.startsWith("weir-upstream-") || thread.startsWith("weir-fused-")
            || thread.startsWith("weir-write-")
            || thread.equals("weir-access-log");
    }

    /** Bytes a thread allocated since it started, as a thread dump prints them: exact below 100 KiB, else in units. */
    private static final class Allocated {
        static final Allocated NONE = new Allocated(0, 1);
        final long bytes;
        /** The precision: 1, 1 KiB, 1 MiB or 1 GiB. */
        final long unit;

        Allocated(final long bytes, final long unit) {
            this.bytes = bytes;
            this.unit = unit;
        }
    }

    /**
     * @return each Java thread's allocated bytes (ThreadMXBean's figure) from {@code jcmd PID Thread.print -e},
     *     by thread name.
     */
    private static Map<String, Allocated> threadAllocations(final long pid) throws IOException, InterruptedException {
        final String text = jcmd(pid, "Thread.print", "-e");
        final Map<String, Allocated> threads = new TreeMap<>();
        for (final String line : text.split("\n")) {
            final Matcher m = THREAD_ALLOCATED.matcher(line);
            if (m.find()) {
                final long unit = 1L << (10 * "BKMG".indexOf(m.group(3)));
                threads.merge(m.group(1), new Allocated(Long.parseLong(m.group(2)) * unit, unit),
                    (a, b) -> new Allocated(a.bytes + b.bytes, Math.max(a.unit, b.unit)));
            }
        }
        assertTrue(threads.keySet().stream().anyMatch(EpsilonIT::servesRequests), "no stage threads in:\n" + text);
        return threads;
    }

    private static String jcmd(final long pid, final String... command) throws IOException, InterruptedException {
        final List<String> line = new ArrayList<>(List.of(jcmdPath(), Long.toString(pid)));
        line.addAll(List.of(command));
        final Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
        final String text = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(jcmd.waitFor(30, TimeUnit.SECONDS), "jcmd did not finish");
        return text;
    }

    private static String[] concat(final List<String> args, final String... more) {
        final List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    private static LoadResult load(final WeirProcess weir, final long requests, final long deadlineMs)
        throws IOException, InterruptedException {
        return LoadGenerator.run(new LoadOptions().port(weir.port()).path("/bytes/128").connections(CONNECTIONS)
            .requests(requests).expectStatus(200).expectBodyBytes(128).maxRunMs(deadlineMs));
    }

    /** @return bytes in use in Epsilon's allocation space, from {@code jcmd PID GC.heap_info}. */
    private static long heapUsedBytes(final long pid) throws IOException, InterruptedException {
        final String text = jcmd(pid, "GC.heap_info");
        assertTrue(text.contains("Epsilon Heap"), "not running under Epsilon:\n" + text);
        final Matcher m = USED.matcher(text);
        assertTrue(m.find(), "no heap bounds in:\n" + text);
        return Long.parseLong(m.group(2), 16) - Long.parseLong(m.group(1), 16);
    }

    private static String jcmdPath() {
        return java.nio.file.Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString();
    }
}
