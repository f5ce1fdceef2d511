package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.arena.ProcessStatus;
import dev.weir.bench.support.ProcMemory;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.CpuList;

/**
 * {@code affinity} on the real launcher: each stage thread, and the access log's, runs on its CPU of the list,
 * round-robin in the order accept, parse, upstream, write, access log, as the kernel reports per thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AffinityIT {

    private static final Duration READY = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void shouldPinEveryStageThreadToItsCpuRoundRobin() throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        final int[] allowed = CpuList.parse("Cpus_allowed_list", ProcessStatus.allowedCpuList());
        Assumptions.assumeTrue(allowed.length >= 2, "needs two allowed CPUs, has " + allowed.length);
        final int a = allowed[0];
        final int b = allowed[1];
        try (WeirProcess weir = WeirProcess.start(READY, "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
            "--set", "affinity=" + a + "," + b, "--set", "upstream.threads=2",
            "--set", "access-log.path=" + dir.resolve("access.log"))) {
            final Map<String, String> expected = new LinkedHashMap<>();
            expected.put("weir-accept", Integer.toString(a));
            expected.put("weir-parse-0", Integer.toString(b));
            expected.put("weir-upstream-0", Integer.toString(a));
            expected.put("weir-upstream-1", Integer.toString(b));
            expected.put("weir-write-0", Integer.toString(a));
            expected.put("weir-access-log", Integer.toString(b));
            final Map<String, String> actual = threadCpus(weir.pid());
            assertEquals(expected, actual, weir.output());
            assertEquals(1, weir.linesStartingWith("weir threads: pinned weir-accept cpu " + a + " (tid ").size(),
                weir.output());
        }
    }

    @Test
    void shouldPinAFusedParseAndUpstreamThreadAsOneThread() throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        final int[] allowed = CpuList.parse("Cpus_allowed_list", ProcessStatus.allowedCpuList());
        Assumptions.assumeTrue(allowed.length >= 2, "needs two allowed CPUs, has " + allowed.length);
        final int a = allowed[0];
        final int b = allowed[1];
        try (WeirProcess weir = WeirProcess.start(READY, "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
            "--set", "affinity=" + a + "," + b, "--set", "fuse-parse-upstream=true")) {
            final Map<String, String> expected = new LinkedHashMap<>();
            expected.put("weir-accept", Integer.toString(a));
            expected.put("weir-fused-0", Integer.toString(b));
            expected.put("weir-write-0", Integer.toString(a));
            assertEquals(expected, threadCpus(weir.pid()), weir.output());
        }
    }

    @Test
    void shouldRefuseACpuOutsideTheAllowedSetInOneLine() throws Exception {
        final WeirProcess weir = WeirProcess.launch("--listen", "127.0.0.1:0", "--set", "affinity=1023");
        assertEquals(2, weir.awaitExit(READY), weir.output());
        final String[] lines = weir.output().strip().split("\n");
        assertEquals(1, lines.length, weir.output());
        assertTrue(lines[0].startsWith("weir: affinity: CPU 1023 is not in this process's allowed set "), lines[0]);
    }

    /** @return {@code Cpus_allowed_list} of each thread named weir-* but the launcher's helpers, by name. */
    private static Map<String, String> threadCpus(final long pid) throws IOException {
        final Map<String, String> cpus = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (final Path task : tasks) {
                final String name = Files.readString(task.resolve("comm")).strip();
                if (!name.startsWith("weir-") || name.equals("weir-shutdown")) {
                    continue;
                }
                for (final String line : Files.readAllLines(task.resolve("status"))) {
                    if (line.startsWith("Cpus_allowed_list:")) {
                        cpus.put(name, line.substring("Cpus_allowed_list:".length()).strip());
                    }
                }
            }
        }
        return cpus;
    }
}
