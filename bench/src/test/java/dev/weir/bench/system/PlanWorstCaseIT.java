package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.bench.load.LoadGenerator;
import dev.weir.bench.load.LoadOptions;
import dev.weir.bench.load.LoadResult;
import dev.weir.bench.origin.DemoOrigin;
import dev.weir.bench.support.FloodTunnels;
import dev.weir.bench.support.MemoryCgroup;
import dev.weir.bench.support.ProcMemory;
import dev.weir.bench.support.ScriptedOrigin;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.ConfigKeys;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import dev.weir.config.WeirConfig;

/**
 * The memory plan against the worst case a real {@code bin/weir} reaches: after a warm-up through every code path
 * (keep-alive, chunked, uploads, WebSocket, every error answer, the admin listener, the access log), every
 * connection slot holds a WebSocket tunnel whose client and origin both write and never read, so every kernel
 * buffer of every socket is full. Each cap row's measured use must be within its row, the whole measured figure
 * within the plan's total, and the plan's total within {@value #MAX_PLAN_OVER_MEASURED}x of it.
 * <p>
 * Measured: {@code VmHWM} (the process's peak resident set), the JVM's own view
 * ({@code jcmd PID VM.native_memory summary}, with {@code -XX:NativeMemoryTracking=summary}, whose own tracking
 * memory is counted against Weir), and the kernel's charge for TCP buffers and socket objects from a cgroup v1
 * memory group Weir starts in ({@code memory.kmem.tcp.max_usage_in_bytes}, {@code memory.kmem.usage_in_bytes}
 * delta over the fill); without a writable cgroup (not root) the {@code /proc/net/sockstat} TCP page delta
 * stands in, which also counts other processes' sockets.
 * <p>
 * Tagged {@code plan}, run with {@code mvn -B -ntp -Pplan -pl bench -am verify -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false} (about a minute a case; 16,000 sockets in the 4000-connection one).
 */
@Tag("plan")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class PlanWorstCaseIT {

    /** The plan may overstate the worst case by this much at most. */
    static final double MAX_PLAN_OVER_MEASURED = 1.4;
    private static final long MIB = 1024 * 1024;
    private static final Duration READY_DEADLINE = Duration.ofSeconds(120);
    private static final Pattern CATEGORY = Pattern.compile(
        "-\\s+([A-Za-z ]+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final Pattern METASPACE_PART = Pattern.compile(
        "reserved=(\\d+)KB, committed=(\\d+)KB\\)\\s*\\n\\s*\\(\\s*used=(\\d+)KB\\)");
    private static final Pattern STACK = Pattern.compile("\\(stack: reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final Pattern SLOTS_IN_USE = Pattern.compile("slots_in_use=(\\d+)");
    private static final Pattern SOCKSTAT_TCP_MEM = Pattern.compile("^TCP: .* mem (\\d+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void shouldKeepTheShippedDefaultsWorstCaseWithinTheirPlan() throws Exception {
        measure("defaults", Map.of(), false);
    }

    @Test
    void shouldKeepTheWorstCaseWithAdminAndAccessLogWithinItsPlan() throws Exception {
        measure("admin+log", Map.of(), true);
    }

    @Test
    void shouldKeepA512MiBBudgetsWorstCaseWithinItsPlan() throws Exception {
        measure("budget 512m+admin+log", Map.of("memory.budget", "512m"), true);
    }

    @Test
    void shouldKeepFourThousandConnectionsWorstCaseWithinTheirPlan() throws Exception {
        measure("connections 4000+admin+log", Map.of("connections", "4000"), true);
    }

    /**
     * @param name      the case's name in the output.
     * @param overrides {@code --set} keys.
     * @param features  whether the admin listener and the access log (combined format) are on.
     */
    private void measure(final String name, final Map<String, String> overrides, final boolean features)
        throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc (Linux)");
        try (DemoOrigin demo = DemoOrigin.start("127.0.0.1", 0, 1); FloodTunnels flood = FloodTunnels.start()) {
            final Path config = dir.resolve("weir.yaml");
            Files.writeString(config, String.join("\n",
                "accept: {listen: 127.0.0.1:0}",
                // A tunnel stuck on a peer that does not read is cut at these deadlines (10 s by default); filling
                // thousands of tunnels on a loaded machine takes longer, and the buffers must stay full to be read.
                "timeout: {client-send: 10m, client-body: 10m, upstream-response: 10m}",
                "upstreams:",
                "  demo: {default: true, servers: [127.0.0.1:" + demo.port() + "]}",
                "  flood: {servers: [127.0.0.1:" + flood.originPort() + "]}",
                "routes:",
                "  - {path: " + FloodTunnels.PATH + ", upstream: flood}",
                features ? "admin: {listen: 127.0.0.1:0}" : "",
                features ? "access-log: {path: " + dir.resolve("access.log") + ", format: combined}" : "",
                ""));
            final WeirConfig weirConfig = ConfigLoader.load(config, overrides);
            final MemoryPlan plan = PlanBuilder.build(weirConfig);
            final List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--stats-interval",
                "0.25"));
            for (final Map.Entry<String, String> e : overrides.entrySet()) {
                args.add("--set");
                args.add(e.getKey() + "=" + e.getValue());
            }
            final MemoryCgroup cgroup = MemoryCgroup.available()
                ? MemoryCgroup.create("weir-plan-test-" + ProcessHandle.current().pid()) : null;
            try {
                try (WeirProcess weir = WeirProcess.startIn(READY_DEADLINE, cgroup == null ? null : cgroup.procsFile(),
                    "-XX:NativeMemoryTracking=summary", args.toArray(new String[0]))) {
                    assertTrue(weir.output().contains(" " + plan.totalBytes() + " "),
                        "bin/weir printed the plan this test computed:\n" + weir.output());
                    warmUp(weir);
                    ScriptedOrigin.await("every warm-up slot is back", () -> slotsInUse(weir) == 0, 40_000);
                    final long sockstatBefore = sockstatTcpBytes();
                    final long kmemBefore = cgroup == null ? 0 : kmem(cgroup);
                    final boolean full = flood.fill(weir.port(), weirConfig.connections(), 64, 2_000, 180_000);
                    assertTrue(full, "not every buffer filled: " + flood.tunnels() + " of " + weirConfig.connections()
                        + " tunnels open\n" + weir.output());
                    final Measured m = new Measured();
                    m.hwm = ProcMemory.hwmBytes(weir.pid());
                    m.status = statusLines(weir.pid());
                    m.rss = ProcMemory.rssBytes(weir.pid());
                    m.nmt = jcmd(weir.pid(), "VM.native_memory", "summary");
                    m.sockstat = sockstatTcpBytes() - sockstatBefore;
                    if (cgroup != null) {
                        m.tcp = cgroup.tcpMaxUsageBytes();
                        m.kmem = Math.max(0, kmem(cgroup) - kmemBefore);
                        m.cgroupMax = cgroup.maxUsageBytes();
                    }
                    report(name, weirConfig, plan, m, flood);
                }
            } finally {
                if (cgroup != null) {
                    cgroup.close();
                }
            }
        }
    }

    /** Kernel objects charged to the group now (sockets' slab, files, epoll items); 0 without the counter. */
    private static long kmem(final MemoryCgroup cgroup) throws IOException {
        return cgroup.kmemUsageBytes();
    }

    /** What was read at the worst case. */
    private static final class Measured {
        long hwm;
        long rss;
        String nmt;
        long sockstat;
        long tcp = -1;
        long kmem;
        long cgroupMax = -1;
        String status;
    }

    /** {@code RssAnon}, {@code RssFile}, {@code RssShmem} and {@code Threads} of {@code /proc/PID/status}. */
    private static String statusLines(final long pid) throws IOException {
        final StringBuilder b = new StringBuilder();
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Rss") || line.startsWith("Threads")) {
                b.append(line.replaceAll("\\s+", " ")).append("; ");
            }
        }
        return b.toString();
    }

    private static void report(final String name, final WeirConfig c, final MemoryPlan plan, final Measured m,
        final FloodTunnels flood) {
        final Map<String, Long> committed = new LinkedHashMap<>();
        final Matcher cat = CATEGORY.matcher(m.nmt);
        while (cat.find()) {
            committed.put(cat.group(1).trim(), Long.parseLong(cat.group(3)) * 1024);
        }
        final Matcher meta = METASPACE_PART.matcher(m.nmt);
        long metaCommitted = 0;
        long metaUsed = 0;
        while (meta.find()) {
            metaCommitted += Long.parseLong(meta.group(2)) * 1024;
            metaUsed += Long.parseLong(meta.group(3)) * 1024;
        }
        final Matcher stack = STACK.matcher(m.nmt);
        assertTrue(stack.find() && metaCommitted > 0, "native memory summary not understood:\n" + m.nmt);
        final long stacks = Long.parseLong(stack.group(2)) * 1024;
        final long heap = committed.getOrDefault("Java Heap", 0L);
        final long code = committed.getOrDefault("Code", 0L);
        final long arenas = plan.committedBytes() - plan.row(PlanBuilder.HEAP).bytes();
        final long direct = Math.max(0, committed.getOrDefault("Other", 0L) - arenas);
        final long overhead = m.hwm - heap - arenas - metaCommitted - code - stacks - direct;
        final long sockets = m.tcp >= 0 ? m.tcp + m.kmem : m.sockstat;
        final long measuredTotal = m.hwm + sockets;

        final StringBuilder out = new StringBuilder();
        out.append(String.format("weir-it plan %s: %d connections, %d tunnels, %.1f MiB written into full buffers%n",
            name, c.connections(), flood.tunnels(), flood.bytesWritten() / (double) MIB));
        out.append(String.format("weir-it plan %s: %-16s %12s %12s %7s%n", name, "row", "planned MiB", "measured MiB",
            "ratio"));
        final long[][] rows = {
            {plan.committedBytes(), heap + arenas},
            {plan.row(PlanBuilder.THREAD_STACKS).bytes(), stacks},
            {plan.row(PlanBuilder.METASPACE).bytes(), metaCommitted},
            {plan.row(PlanBuilder.CODE_CACHE).bytes(), code},
            {plan.row(PlanBuilder.DIRECT_MEMORY).bytes(), direct},
            {plan.row(PlanBuilder.JVM_OVERHEAD).bytes(), overhead},
            {plan.row(PlanBuilder.SOCKET_BUFFERS).bytes(), sockets},
            {plan.totalBytes(), measuredTotal},
        };
        final String[] names = {"arenas + heap", "thread stacks", "metaspace", "code cache", "direct memory",
            "jvm overhead", "socket buffers", "total"};
        for (int i = 0; i < rows.length; i++) {
            out.append(String.format("weir-it plan %s: %-16s %12.1f %12.1f %7.2f%n", name, names[i],
                rows[i][0] / (double) MIB, rows[i][1] / (double) MIB, rows[i][0] / (double) Math.max(1, rows[i][1])));
        }
        out.append(String.format("weir-it plan %s: VmHWM %.1f MiB, VmRSS %.1f MiB; metaspace used %.1f MiB; "
                + "cgroup tcp max %.1f MiB, kmem delta %.1f MiB, pages max %.1f MiB; sockstat TCP delta %.1f MiB "
                + "(all processes); %d sockets planned, %.0f B per socket measured%n",
            name, m.hwm / (double) MIB, m.rss / (double) MIB, metaUsed / (double) MIB, m.tcp / (double) MIB,
            m.kmem / (double) MIB, m.cgroupMax / (double) MIB, m.sockstat / (double) MIB,
            2L * c.connections(), sockets / (2.0 * c.connections())));
        out.append("weir-it plan ").append(name).append(": ").append(m.status).append('\n');
        System.out.print(out);
        System.out.println(m.nmt);
        for (int i = 1; i < rows.length; i++) {
            assertTrue(rows[i][1] <= rows[i][0], names[i] + " measured above its plan row:\n" + out);
        }
        assertTrue(plan.totalBytes() <= MAX_PLAN_OVER_MEASURED * measuredTotal,
            "the plan overstates the worst case by more than " + MAX_PLAN_OVER_MEASURED + "x:\n" + out);
    }

    /** Every code path once or many times, so that metaspace and the code cache reach their working size. */
    private static void warmUp(final WeirProcess weir) throws Exception {
        final int port = weir.port();
        load(port, "GET", "/", 0, 20_000);
        load(port, "GET", "/bytes/16384", 0, 10_000);
        load(port, "GET", "/chunked/100000", 0, 2_000);
        load(port, "POST", "/echo", 4096, 5_000);
        load(port, "PUT", "/sha256", 200_000, 300);
        final String ws = "GET /ws HTTP/1.1\r\nHost: w\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        final byte[] frames = {(byte) 0x81, (byte) 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2, (byte) 0x88, (byte) 0x80, 1, 2,
            3, 4};
        final String[] errors = {
            "GARBAGE\r\n\r\n",
            // A head larger than the parse block: 431, and the connection closed.
            "GET / HTTP/1.1\r\nHost: w\r\nX-Big: " + "x".repeat(ConfigKeys.DEFAULT_PARSE_BUFFER_BYTES) + "\r\n\r\n",
            "BREW / HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
            "GET /close HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
            "GET /garbage HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
            "GET /close-mid-body/100000 HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
            "GET /nowhere HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
            "HEAD /bytes/10 HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
            "GET /headers HTTP/1.0\r\nHost: w\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: w\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n"
                + "\r\nhi",
            "POST /echo HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
            "GET / HTTP/1.1\r\nHost: w\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /delay/10 HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
        };
        for (int round = 0; round < 100; round++) {
            for (final String e : errors) {
                exchange(port, e.getBytes(StandardCharsets.ISO_8859_1));
            }
            final byte[] head = ws.getBytes(StandardCharsets.ISO_8859_1);
            final byte[] both = new byte[head.length + frames.length];
            System.arraycopy(head, 0, both, 0, head.length);
            System.arraycopy(frames, 0, both, head.length, frames.length);
            exchange(port, both);
        }
        final int admin = weir.adminPort();
        if (admin < 0) {
            return;
        }
        for (final String path : new String[] {"/metrics", "/health", "/plan", "/nothing"}) {
            for (int i = 0; i < 50; i++) {
                exchange(admin, ("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        exchange(admin, ("POST /access-log/reopen HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void load(final int port, final String method, final String path, final int bodyBytes,
        final long requests) throws Exception {
        final LoadResult r = LoadGenerator.run(new LoadOptions().port(port).method(method).path(path)
            .requestBodyBytes(bodyBytes).connections(8).requests(requests).maxRunMs(120_000));
        assertEquals(0, r.errors(), method + " " + path + " during the warm-up");
    }

    /** Sends the bytes and reads until the peer closes (every request here ends its connection). */
    private static void exchange(final int port, final byte[] request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write(request);
            final InputStream in = s.getInputStream();
            final byte[] buffer = new byte[16 * 1024];
            while (in.read(buffer) >= 0) {
                // Drained and dropped: only the code paths matter here.
            }
        } catch (final java.net.SocketException e) {
            // A reset is an answer too (the proxy closing with unread input).
        }
    }

    private static int slotsInUse(final WeirProcess weir) {
        final List<String> stats = weir.linesStartingWith("weir stats:");
        if (stats.isEmpty()) {
            return -1;
        }
        final Matcher m = SLOTS_IN_USE.matcher(stats.get(stats.size() - 1));
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static long sockstatTcpBytes() throws IOException {
        final Matcher m = SOCKSTAT_TCP_MEM.matcher(Files.readString(Path.of("/proc/net/sockstat")));
        return m.find() ? Long.parseLong(m.group(1)) * 4096 : 0;
    }

    private static String jcmd(final long pid, final String... command) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(command));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jcmd " + String.join(" ", command) + " did not end");
        return out.toString(StandardCharsets.UTF_8);
    }
}
