package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.config.PlanBuilder;
import dev.weir.config.StageSizes;
import dev.weir.config.WeirConfig;
import dev.weir.log.AccessLog;
import dev.weir.support.LoopbackOrigin;

/** With the access log on, the stage threads still allocate nothing per request, and every exchange is a line. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AccessLogPipelineTest {

    @TempDir
    Path dir;

    private LoopbackOrigin origin;
    private Pipeline pipeline;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = LoopbackOrigin.start();
    }

    @AfterEach
    void stop() throws Exception {
        PipelineTest.stopChecked(pipeline, origin);
    }

    private WeirConfig.Builder config(final Path file, final String format) {
        return WeirConfig.builder().listen("127.0.0.1", 0).upstream("127.0.0.1", origin.port()).connections(32)
            .parseBufferBytes(4096).upstreamBufferBytes(16384).accessLogPath(file.toString())
            .accessLogFormat(format);
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(2);
        }
    }

    @Test
    void shouldAllocateNothingPerRequestOnStageThreadsWithTheAccessLogOn() throws Exception {
        final Path file = dir.resolve("access.log");
        pipeline = Pipeline.start(config(file, "json").build());
        final AccessLog log = pipeline.accessLog();
        assertNotNull(log);
        final byte[] request = ("GET /size/100?q=1 HTTP/1.1\r\nHost: a\r\nReferer: http://r/\r\n"
            + "User-Agent: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final int responseLength = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".length() + 100;
        final int warmup = 20_000;
        final int measured = 5_000;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), pipeline.listenAddress().getPort())) {
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < warmup; i++) {
                socket.getOutputStream().write(request);
                assertEquals(responseLength, in.readNBytes(responseLength).length);
            }
            final long before = pipeline.stageAllocatedBytes();
            for (int i = 0; i < measured; i++) {
                socket.getOutputStream().write(request);
                assertEquals(responseLength, in.readNBytes(responseLength).length);
            }
            final long perRequest = (pipeline.stageAllocatedBytes() - before) / measured;
            assertEquals(0, perRequest, "bytes allocated per request on the stage threads with the access log on");
        }
        final int total = warmup + measured;
        await(() -> log.records() == total && log.written() + log.dropped() == total,
            "records " + log.records() + ", written " + log.written() + ", dropped " + log.dropped());
        assertEquals(0, log.lost());
        // The client has left, but the accept thread may not yet have taken back its slot's blocks: closing now
        // would stop it half way, and the leak check after the test would find them held.
        PipelineTest.awaitIdle(pipeline);
        pipeline.close();
        final List<String> lines = Files.readAllLines(file);
        assertEquals(log.written(), lines.size());
        assertTrue(lines.get(0).contains("\"target\":\"/size/100?q=1\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
            + "\"bytes\":" + responseLength + ","), lines.get(0));
        assertTrue(lines.get(0).contains("\"referer\":\"http://r/\",\"user_agent\":\"test\""), lines.get(0));
    }

    @Test
    void shouldWriteOneLinePerExchangeFromEveryStageThread() throws Exception {
        final Path file = dir.resolve("access.log");
        final WeirConfig config = config(file, "common").parseThreads(2).upstreamThreads(2).writeThreads(2).build();
        pipeline = Pipeline.start(config);
        final int clients = 6;
        final int perClient = 500;
        final List<Thread> threads = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            final int client = c;
            threads.add(new Thread(() -> {
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(),
                    pipeline.listenAddress().getPort())) {
                    final InputStream in = socket.getInputStream();
                    final int length = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".length() + 10;
                    for (int i = 0; i < perClient; i++) {
                        socket.getOutputStream().write(("GET /size/10?c=" + client + "&i=" + i
                            + " HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        assertEquals(length, in.readNBytes(length).length);
                    }
                } catch (final Throwable t) {
                    synchronized (failures) {
                        failures.add(t);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (final Thread t : threads) {
            t.join();
        }
        assertTrue(failures.isEmpty(), failures.toString());
        final AccessLog log = pipeline.accessLog();
        final int total = clients * perClient;
        await(() -> log.written() + log.dropped() == total, "written " + log.written() + ", dropped " + log.dropped());
        assertEquals(0, log.dropped(), "a ring of " + log.ringRecords() + " records kept up with six clients");
        final List<String> lines = Files.readAllLines(file);
        assertEquals(total, lines.size());
        for (int c = 0; c < clients; c++) {
            for (int i = 0; i < perClient; i += 97) {
                final String target = "\"GET /size/10?c=" + c + "&i=" + i + " HTTP/1.1\" 200 ";
                assertTrue(lines.stream().anyMatch(l -> l.contains(target)), target);
            }
        }
    }

    @Test
    void shouldCountTheLogArenaAndThreadInThePlanOnlyWhenTheLogIsOn() {
        final WeirConfig on = config(dir.resolve("x.log"), "combined").build();
        final WeirConfig off = on.toBuilder().accessLogPath("none").build();
        assertEquals(0, StageSizes.logArenaBytes(off));
        assertTrue(PlanBuilder.build(off).render().lines().noneMatch(l -> l.startsWith(PlanBuilder.ARENA_LOG)));
        // The log thread also touches its stack before ready.
        assertEquals(StageSizes.logArenaBytes(on) + on.stackPretouchBytes(), PlanBuilder.build(on).committedBytes()
            - PlanBuilder.build(off).committedBytes());
        assertEquals(StageSizes.plannedThreads(off) + 1, StageSizes.plannedThreads(on));
        assertEquals(AccessLog.ringBytes(on) + 32L * AccessLog.captureBytesPerSlot(on) + AccessLog.outputBytes(on),
            StageSizes.logArenaBytes(on));
    }

    @Test
    void shouldCommitTheLogArenaThePlanStates() throws Exception {
        pipeline = Pipeline.start(config(dir.resolve("access.log"), "combined").build());
        final long committed = pipeline.arenas().stream().filter(a -> a.name().equals("log"))
            .mapToLong(a -> a.capacityBytes()).sum();
        assertEquals(StageSizes.logArenaBytes(pipeline.config()), committed);
    }
}
