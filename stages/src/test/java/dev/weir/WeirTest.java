package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.weir.arena.plan.HostMemory;
import dev.weir.config.ConfigLoader;
import dev.weir.config.PlanBuilder;
import dev.weir.config.WeirConfig;
import dev.weir.conn.TimeoutKind;
import dev.weir.stage.Pipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WeirTest {

    private static final long MIB = 1024L * 1024;
    private static final long GIB = 1024 * MIB;
    private static final HostMemory ROOMY = HostMemory.of(0, HostMemory.UNKNOWN, 64 * GIB, 0);

    @TempDir
    Path dir;

    /** The outcome of one run: exit code, stdout, stderr, and whether the host figures were read. */
    private static final class Result {
        private final int code;
        private final String out;
        private final String err;
        private final boolean hostRead;

        Result(final int code, final String out, final String err, final boolean hostRead) {
            this.code = code;
            this.out = out;
            this.err = err;
            this.hostRead = hostRead;
        }
    }

    private static Result run(final HostMemory host, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final AtomicBoolean read = new AtomicBoolean();
        final int code = Weir.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), () -> {
                read.set(true);
                return host;
            });
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
            read.get());
    }

    private static long totalFromTable(final String table) {
        for (final String line : table.split("\n")) {
            if (line.startsWith("total")) {
                return Long.parseLong(line.substring("total".length()).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no total line in\n" + table);
    }

    @Test
    void shouldPrintThePlanAndExitZeroWithoutReadingTheHost() {
        final Result r = run(ROOMY, "--plan");
        assertEquals(Weir.EXIT_OK, r.code, r.err);
        assertEquals("", r.err);
        assertFalse(r.hostRead);
        assertEquals(PlanBuilder.build(WeirConfig.builder().build()).totalBytes(), totalFromTable(r.out), r.out);
        assertTrue(r.out.contains("arena parse"), r.out);
        assertTrue(r.out.contains("socket buffers"), r.out);
    }

    @Test
    void shouldFitThePlanToATwoGibBudget() {
        final Result r = run(ROOMY, "--plan", "--memory-budget", "2g");
        assertEquals(Weir.EXIT_OK, r.code, r.err);
        final long total = totalFromTable(r.out);
        assertTrue(total <= 2 * GIB, r.out);
        assertTrue(total >= 2 * GIB * 9 / 10, r.out);
    }

    @Test
    void shouldReadTheConfigFileGiven() throws Exception {
        final Path file = dir.resolve("weir.yaml");
        Files.writeString(file, "connections: 100\n");
        final Result r = run(ROOMY, "--plan", "--config", file.toString());
        assertEquals(Weir.EXIT_OK, r.code, r.err);
        assertTrue(r.out.contains("100 connections x parse.buffer"), r.out);
    }

    @Test
    void shouldRejectABadUpstreamsSectionWithOneLineNamingTheKeyBeforeAnythingIsAllocated() throws Exception {
        final Path file = dir.resolve("weir.yaml");
        Files.writeString(file, "upstreams:\n  api:\n    servers: [127.0.0.1:9001, '127.0.0.1']\n");
        final Result r = run(ROOMY, "--plan", "--config", file.toString());
        assertEquals(Weir.EXIT_BAD_CONFIG, r.code, r.err);
        assertEquals("", r.out);
        assertTrue(r.err.startsWith("weir: upstreams.api.servers[1]: must be HOST:PORT"), r.err);
        assertEquals(1, r.err.split("\n").length, r.err);
    }

    @Test
    void shouldCountActiveCheckSocketsInThePlan() throws Exception {
        final Path file = dir.resolve("weir.yaml");
        Files.writeString(file, "connections: 100\nupstreams:\n  api:\n    servers: [127.0.0.1:9001, 127.0.0.1:9002]\n"
            + "    health: {path: /healthz}\n");
        final Result r = run(ROOMY, "--plan", "--config", file.toString());
        assertEquals(Weir.EXIT_OK, r.code, r.err);
        // 100 client + 100 origin + 2 check sockets + the listening socket.
        assertTrue(r.out.contains("100 client x") && r.out.contains("100 origin x"), r.out);
        assertTrue(r.out.contains("3 other x"), r.out);
        assertTrue(r.out.contains("203 sockets +"), r.out);
    }

    @Test
    void shouldNameTheGroupsInsteadOfOneUpstreamWhenThereIsASection() {
        assertEquals("upstream 10.0.0.1:81", Weir.upstreamText(WeirConfig.builder().upstream("10.0.0.1", 81).build()));
        final WeirConfig two = ConfigLoader.readYaml("upstreams:\n  a: {servers: [h:1, h:2]}\n"
            + "  b: {default: true, servers: [h:3]}\n", "t", WeirConfig.builder()).build();
        assertEquals("upstreams a (2 servers), b (1 server, default)", Weir.upstreamText(two));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "negative connections   | --connections=-5            | connections",
        "zero connections       | --connections=0             | connections",
        "ring not power of two  | --set=ring-size=1000        | ring-size",
        "unknown key            | --set=parse.bufer=16k       | parse.bufer",
        "size without unit      | --heap=268435456            | jvm.heap",
        "negative size          | --heap=-1g                  | jvm.heap",
        "bad host:port          | --listen=localhost          | accept.listen",
        "bad upstream           | --upstream=h:99999          | upstream.address",
        "wrong type             | --set=memory.lock=yes       | memory.lock",
        "wrong type, integer    | --set=parse.threads=two     | parse.threads",
        "budget without unit    | --memory-budget=2000000000  | memory.budget",
        "set without equals     | --set=connections           | --set",
    })
    void shouldRejectBadCommandLineWithOneLineNamingTheKey(final String name, final String arg, final String key) {
        final Result r = run(ROOMY, arg, "--plan");
        assertEquals(Weir.EXIT_BAD_CONFIG, r.code, r.err);
        assertEquals("", r.out);
        assertTrue(r.err.startsWith("weir: " + key + ": "), r.err);
        assertEquals(1, r.err.split("\n").length, r.err);
        assertTrue(r.err.endsWith("\n"), r.err);
    }

    @Test
    void shouldRejectSeparatedNegativeValue() {
        final Result r = run(ROOMY, "--connections", "-5");
        assertEquals(Weir.EXIT_BAD_CONFIG, r.code);
        assertEquals("weir: connections: must be at least 1 (got -5)\n", r.err);
        assertFalse(r.hostRead);
    }

    @Test
    void shouldRejectUnknownOptionWithOneLine() {
        final Result r = run(ROOMY, "--frobnicate");
        assertEquals(Weir.EXIT_BAD_CONFIG, r.code);
        assertTrue(r.err.startsWith("weir: "), r.err);
        assertEquals(1, r.err.split("\n").length, r.err);
    }

    @Test
    void shouldRefuseAPlanAboveTheCgroupLimitWithOneLine() {
        final Result r = run(HostMemory.of(0, 256 * MIB, 64 * GIB, 0));
        assertEquals(Weir.EXIT_REFUSED, r.code, r.err);
        assertEquals(1, r.err.split("\n").length, r.err);
        assertTrue(r.err.startsWith("weir: refusing to start: plan total "), r.err);
        assertTrue(r.err.contains("cgroup memory limit 256.0 MiB (268435456 bytes)"), r.err);
    }

    @Test
    void shouldRefuseAPlanAboveMemAvailableWithOneLine() {
        final Result r = run(HostMemory.of(0, HostMemory.UNKNOWN, 128 * MIB, 0), "--print-jvm-flags");
        assertEquals(Weir.EXIT_REFUSED, r.code, r.err);
        assertEquals("", r.out);
        assertTrue(r.err.contains("exceeds MemAvailable 128.0 MiB"), r.err);
    }

    @Test
    void shouldRefuseAPlanLargerThanThisMachine() {
        // 64 TiB of heap: more than any test machine has; refused before anything is committed.
        final Result r = run(HostMemory.detect(), "--heap", "64t");
        assertEquals(Weir.EXIT_REFUSED, r.code, r.err);
        assertEquals(1, r.err.split("\n").length, r.err);
        assertTrue(r.err.contains("plan total 64.0 TiB"), r.err);
    }

    /** A bad option is told by bin/weir's first JVM, before the serving one commits its heap. */
    @Test
    void shouldRefuseABadStatsIntervalBeforePrintingTheJvmFlags() {
        final Result r = run(ROOMY, "--print-jvm-flags", "--stats-interval", "-1");
        assertEquals(Weir.EXIT_BAD_CONFIG, r.code, r.err);
        assertEquals("", r.out);
        assertTrue(r.err.startsWith("weir: --stats-interval: must be 0"), r.err);
    }

    @Test
    void shouldPrintJvmFlagsDerivedFromThePlanOnOneLine() {
        final Result r = run(ROOMY, "--print-jvm-flags", "--heap", "256m");
        assertEquals(Weir.EXIT_OK, r.code, r.err);
        assertEquals(1, r.out.split("\n").length, r.out);
        assertTrue(r.out.startsWith("-Xms256m -Xmx256m -XX:+AlwaysPreTouch "), r.out);
        assertTrue(r.out.contains("-XX:+UseSerialGC"), r.out);
    }
    @Test
    void shouldPrintEveryCounterAndEveryTimeoutKindOnTheStatsLine() {
        final WeirConfig config = WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", 9)
            .connections(4).build();
        try (Pipeline pipeline = Pipeline.start(config)) {
            final String line = Weir.statsLine(pipeline, System.nanoTime());
            assertTrue(line.startsWith("weir stats: uptime_ms="), line);
            for (final String key : new String[] {"requests", "responses", "errors", "rejected", "slots_in_use",
                "origin_open", "origin_busy", "origin_queued", "retries", "resets"}) {
                assertTrue(line.contains(" " + key + "=0"), key + " in: " + line);
            }
            for (int kind = 0; kind < TimeoutKind.COUNT; kind++) {
                assertTrue(line.contains(" timeout_" + TimeoutKind.name(kind) + "=0"), kind + " in: " + line);
            }
        }
    }
}
