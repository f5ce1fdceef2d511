package dev.weir.arena.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostMemoryTest {

    private static final long MIB = 1024L * 1024;
    private static final long GIB = 1024 * MIB;

    private static final String MEMINFO = "MemTotal:       32768000 kB\n"
        + "MemFree:         1000000 kB\n"
        + "MemAvailable:    4194304 kB\n"
        + "Buffers:           12345 kB\n";

    @TempDir
    Path dir;

    private static MemoryPlan planOf(final long bytes) {
        return new MemoryPlan(List.of(new PlanItem("java heap", bytes, PlanItem.Kind.COMMITTED, "")));
    }

    @Test
    void shouldAcceptPlanWithinLimits() {
        final HostMemory host = HostMemory.of(0, 2 * GIB, 4 * GIB, 0);
        assertNull(host.check(planOf(GIB)));
    }

    @Test
    void shouldRefusePlanAboveCgroupLimitNamingBothFigures() {
        final HostMemory host = HostMemory.of(0, 512 * MIB, 4 * GIB, 0);
        final String refusal = host.check(planOf(GIB));
        assertNotNull(refusal);
        assertFalse(refusal.contains("\n"), refusal);
        assertTrue(refusal.contains("1.0 GiB (1073741824 bytes)"), refusal);
        assertTrue(refusal.contains("cgroup memory limit 512.0 MiB (536870912 bytes)"), refusal);
    }

    @Test
    void shouldRefusePlanAboveMemAvailableNamingBothFigures() {
        final HostMemory host = HostMemory.of(1, HostMemory.UNKNOWN, 256 * MIB, 0);
        final String refusal = host.check(planOf(GIB));
        assertNotNull(refusal);
        assertTrue(refusal.contains("1.0 GiB (1073741824 bytes)"), refusal);
        assertTrue(refusal.contains("MemAvailable 256.0 MiB (268435456 bytes)"), refusal);
    }

    @Test
    void shouldNotCountMemoryAlreadyResidentAgainstMemAvailable() {
        // The heap was pre-touched by the JVM before main ran: 768 MiB of the 1 GiB plan is already held.
        final HostMemory host = HostMemory.of(0, HostMemory.UNKNOWN, 512 * MIB, 768 * MIB);
        assertNull(host.check(planOf(GIB)));
    }

    @Test
    void shouldSayTheOomKillerIsHowMemoryRunsOutInHeuristicMode() {
        final List<String> lines = HostMemory.of(0, HostMemory.UNKNOWN, GIB, 0).describe();
        assertTrue(lines.get(0).contains("OOM killer"), lines.get(0));
        assertTrue(lines.get(0).contains("up front"), lines.get(0));
        assertTrue(lines.get(1).contains("none"), lines.get(1));
    }

    @Test
    void shouldParseMemInfoAndOvercommitAndLimits() {
        assertEquals(4194304L * 1024, HostMemory.parseKibField(MEMINFO, "MemAvailable:"));
        assertEquals(HostMemory.UNKNOWN, HostMemory.parseKibField(MEMINFO, "SwapTotal:"));
        assertEquals(2, HostMemory.parseOvercommitMode("2\n"));
        assertEquals(HostMemory.UNKNOWN, HostMemory.parseLimit("max\n"));
        assertEquals(HostMemory.UNKNOWN, HostMemory.parseLimit("9223372036854771712\n"));
        assertEquals(GIB, HostMemory.parseLimit("1073741824\n"));
    }

    @Test
    void shouldReadCgroupV2MemoryMaxTakingTheSmallestOnThePath() throws IOException {
        final Path proc = writeProc("0::/system.slice/weir.service\n");
        final Path cgroup = dir.resolve("cgroup");
        write(cgroup.resolve("system.slice/weir.service/memory.max"), "max\n");
        write(cgroup.resolve("system.slice/memory.max"), "1073741824\n");

        final HostMemory host = HostMemory.read(proc, cgroup);
        assertEquals(GIB, host.cgroupLimitBytes());
        assertEquals(4194304L * 1024, host.memAvailableBytes());
        assertEquals(0, host.overcommitMode());
        assertEquals(100 * MIB, host.residentBytes());
        assertNotNull(host.check(planOf(2 * GIB)));
    }

    @Test
    void shouldFallBackToCgroupV1LimitInBytes() throws IOException {
        final Path proc = writeProc("12:pids:/\n4:memory:/docker/abc\n0::/\n");
        final Path cgroup = dir.resolve("cgroup");
        write(cgroup.resolve("memory/docker/abc/memory.limit_in_bytes"), "536870912\n");
        write(cgroup.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");

        final HostMemory host = HostMemory.read(proc, cgroup);
        assertEquals(512 * MIB, host.cgroupLimitBytes());
        final String refusal = host.check(planOf(GIB));
        assertNotNull(refusal);
        assertTrue(refusal.contains("memory.limit_in_bytes"), refusal);
    }

    @Test
    void shouldReportNoLimitWhenNoCgroupFileExists() throws IOException {
        final Path proc = writeProc("0::/\n");
        final HostMemory host = HostMemory.read(proc, dir.resolve("cgroup"));
        assertEquals(HostMemory.UNKNOWN, host.cgroupLimitBytes());
        assertNull(host.check(planOf(GIB)));
    }

    private Path writeProc(final String selfCgroup) throws IOException {
        final Path proc = dir.resolve("proc");
        write(proc.resolve("sys/vm/overcommit_memory"), "0\n");
        write(proc.resolve("meminfo"), MEMINFO);
        write(proc.resolve("self/status"), "Name:\tjava\nVmRSS:\t  102400 kB\n");
        write(proc.resolve("self/cgroup"), selfCgroup);
        return proc;
    }

    private static void write(final Path file, final String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
