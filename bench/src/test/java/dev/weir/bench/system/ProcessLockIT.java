package dev.weir.bench.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.arena.MemoryLock;
import dev.weir.arena.ProcessStatus;
import dev.weir.arena.plan.MemoryPlan;
import dev.weir.bench.support.ProcMemory;
import dev.weir.bench.support.WeirProcess;
import dev.weir.config.PlanBuilder;
import dev.weir.config.WeirConfig;

/**
 * {@code --lock-memory} on the real launcher: where the process may lock (this test's process holds
 * {@code CAP_IPC_LOCK} or an unlimited RLIMIT_MEMLOCK), what is resident at "ready" is locked; where it may not
 * (the capability dropped, the limit finite), Weir refuses in one line before committing anything.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessLockIT {

    private static final Duration READY = Duration.ofSeconds(60);
    /** {@code Locked} counts shared pages proportionally ({@code Pss}); the JVM's shared libraries are the gap. */
    private static final double MIN_LOCKED_SHARE = 0.85;
    /** A limit far below any JVM's address space. */
    private static final long LOW_LIMIT_BYTES = 64 * 1024;
    /** A limit far above any JVM's address space at the defaults (about 1.3 GiB). */
    private static final long HIGH_LIMIT_BYTES = 64L << 30;

    @Test
    void shouldLockWhatIsResidentAtReadyAndWhatArrivesLater() throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        Assumptions.assumeTrue(ProcessStatus.canLockWithoutLimit() || MemoryLock.memlockLimit() == -1,
            "this process has neither CAP_IPC_LOCK nor an unlimited RLIMIT_MEMLOCK to pass on");
        final MemoryPlan plan = PlanBuilder.build(WeirConfig.builder().build());
        try (WeirProcess weir = WeirProcess.start(READY, "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
            "--lock-memory", "--stats-interval", "0.2")) {
            assertEquals(1, weir.linesStartingWith("weir memory: process locked in RAM (mlockall MCL_CURRENT|"
                + "MCL_FUTURE|MCL_ONFAULT)").size(), weir.output());
            final long rss = ProcMemory.rssBytes(weir.pid());
            final long locked = ProcMemory.lockedResidentBytes(weir.pid());
            System.out.printf("weir-it lock: VmRSS %d KiB, Locked %d KiB, VmLck %d KiB, plan committed %d KiB%n",
                rss >> 10, locked >> 10, ProcMemory.lockedMappingBytes(weir.pid()) >> 10, plan.committedBytes() >> 10);
            assertTrue(locked >= plan.committedBytes(), "Locked " + locked + " below the plan's committed "
                + plan.committedBytes());
            assertTrue(locked >= MIN_LOCKED_SHARE * rss, "Locked " + locked + " is not close to VmRSS " + rss);
            // VmLck counts whole locked mappings, reserved address space included: at least the resident set.
            assertTrue(ProcMemory.lockedMappingBytes(weir.pid()) >= rss);
            final String ready = weir.linesStartingWith(WeirProcess.READY_PREFIX).get(0);
            assertTrue(ready.matches(".*, resident \\d+(\\.\\d)? MiB$"), ready);
        }
    }

    @Test
    void shouldRefuseInOneLineBeforeStartingUnderAFiniteLimit() throws Exception {
        final String line = refusal(LOW_LIMIT_BYTES);
        assertTrue(line.startsWith("weir: refusing to start: memory.lock: RLIMIT_MEMLOCK is 64 KiB and there is no"
            + " CAP_IPC_LOCK;"), line);
        assertTrue(line.contains("LimitMEMLOCK=infinity"), line);
        assertTrue(line.contains("ulimit -l unlimited"), line);
    }

    /**
     * A finite limit far above the JVM's whole address space is refused too: once locked, every mapping made after
     * ready (heap commits, thread stacks, code cache growth) counts against it and could fail while serving.
     */
    @Test
    void shouldRefuseAFiniteLimitEvenAboveTheAddressSpace() throws Exception {
        final String line = refusal(HIGH_LIMIT_BYTES);
        assertTrue(line.startsWith("weir: refusing to start: memory.lock: RLIMIT_MEMLOCK is "
            + (HIGH_LIMIT_BYTES >> 10) + " KiB and there is no CAP_IPC_LOCK;"), line);
    }

    /** @return the one line printed by {@code bin/weir --lock-memory} without CAP_IPC_LOCK under the limit. */
    private static String refusal(final long limitBytes) throws Exception {
        Assumptions.assumeTrue(ProcMemory.available(), "needs /proc");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit"))
            && Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs prlimit and setpriv (util-linux)");
        final List<String> wrapper = List.of("/usr/bin/prlimit", "--memlock=" + limitBytes + ":" + limitBytes,
            "/usr/bin/setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock");
        final WeirProcess weir = WeirProcess.launchUnder(wrapper, "--listen", "127.0.0.1:0", "--upstream",
            "127.0.0.1:9", "--lock-memory");
        final int exit = weir.awaitExit(READY);
        final String output = weir.output();
        // Raising the hard limit takes CAP_SYS_RESOURCE, which a container may not grant.
        Assumptions.assumeFalse(output.startsWith("prlimit: failed to set"), "cannot set RLIMIT_MEMLOCK to "
            + limitBytes + " here: " + output.strip());
        assertEquals(3, exit, output);
        final List<String> lines = output.strip().lines().filter(l -> !l.startsWith("[main] INFO")).toList();
        assertEquals(1, lines.size(), output);
        assertTrue(!output.contains("committed 16781312 bytes"), "an arena was committed:\n" + output);
        return lines.get(0);
    }
}
