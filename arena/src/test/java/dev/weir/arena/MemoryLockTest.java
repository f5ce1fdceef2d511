package dev.weir.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.weir.arena.support.LockProbe;
import net.openhft.posix.MAdviseFlag;
import org.junit.jupiter.api.Test;

class MemoryLockTest {

    private static final long CHILD_DEADLINE_SECONDS = 60;

    @Test
    void shouldNameTheArenaItsSizeAndBothRemediesInOneLine() {
        final String message = MemoryLock.failureMessage("parse", 64L << 20, "mlock failed\n(EPERM)", 0);
        assertTrue(message.contains("'parse'"), message);
        assertTrue(message.contains("67108864 bytes"), message);
        assertTrue(message.contains("64 MiB"), message);
        assertTrue(message.contains("RLIMIT_MEMLOCK is 0 bytes"), message);
        assertTrue(message.contains("ulimit -l"), message);
        assertTrue(message.contains("CAP_IPC_LOCK"), message);
        assertFalse(message.contains("\n"), message);
    }

    @Test
    void shouldRefuseAnyFiniteLimitWithoutTheCapabilityHoweverLarge() {
        assertNull(MemoryLock.processShortfall(8 << 20, true));
        assertNull(MemoryLock.processShortfall(-1, false));
        assertNull(MemoryLock.processShortfall(-2, false));
        // Above any address space the JVM maps at startup, yet mappings made after ready would still count.
        final String large = MemoryLock.processShortfall(1L << 40, false);
        assertNotNull(large);
        assertTrue(large.startsWith("memory.lock: RLIMIT_MEMLOCK is 1073741824 KiB and there is no CAP_IPC_LOCK;"),
            large);
        final String message = MemoryLock.processShortfall(8 << 20, false);
        assertEquals("memory.lock: RLIMIT_MEMLOCK is 8192 KiB and there is no CAP_IPC_LOCK; a locked process charges"
            + " every later mapping (heap commits, thread stacks, code cache) to a finite limit, so one could fail"
            + " while serving; needs CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK (LimitMEMLOCK=infinity in the"
            + " systemd unit, ulimit -l unlimited), or memory.lock: false", message);
    }

    @Test
    void shouldNameMemoryLockTheLimitAndTheAddressSpaceWhenTheProcessLockIsRefused() {
        final String message = MemoryLock.processFailureMessage("ENOMEM", 64 << 10, 1400L << 20);
        assertTrue(message.startsWith("memory.lock: mlockall refused (ENOMEM); RLIMIT_MEMLOCK is 64 KiB and this"
            + " process maps 1400 MiB; needs CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK"), message);
        assertFalse(message.contains("\n"));
    }

    @Test
    void shouldDescribeUnlimitedAndUnknownLimits() {
        assertTrue(MemoryLock.failureMessage("a", 1, "r", -1).contains("RLIMIT_MEMLOCK is unlimited"));
        assertTrue(MemoryLock.failureMessage("a", 1, "r", -2).contains("RLIMIT_MEMLOCK is unknown"));
    }

    @Test
    void shouldReadTheMemlockLimitOfThisProcess() {
        final long limit = MemoryLock.memlockLimit();
        assertTrue(limit == -1 || limit >= 0, "limit " + limit);
    }

    @Test
    void shouldAcceptAnAdviceOverAnArena() {
        try (Arena arena = Arena.commit("advice", 1 << 20, false)) {
            assertTrue(MemoryLock.advise(arena.address(), arena.capacityBytes(), MAdviseFlag.MADV_DONTDUMP));
        }
    }

    /**
     * A child JVM without CAP_IPC_LOCK (root would bypass the limit) and with RLIMIT_MEMLOCK 0 must refuse to
     * start with the one-line message.
     */
    @Test
    void shouldFailStartupWithTheMessageWhenTheKernelRefusesTheLock() throws IOException, InterruptedException {
        assumeTrue(onPath("setpriv") && onPath("prlimit"), "needs util-linux setpriv and prlimit");
        final List<String> command = new ArrayList<>(List.of(
            "setpriv", "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock", "prlimit", "--memlock=0:0",
            Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LockProbe.class.getName()));
        final Process child = new ProcessBuilder(command).redirectErrorStream(false).start();
        child.getOutputStream().close();
        assertTrue(child.waitFor(CHILD_DEADLINE_SECONDS, TimeUnit.SECONDS), "child JVM did not finish in time");
        final String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        final String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(LockProbe.EXIT_REFUSED, child.exitValue(), "stdout: " + out + "\nstderr: " + err);
        assertFalse(out.contains("\n"), out);
        assertTrue(out.startsWith("cannot lock arena 'probe' (" + LockProbe.PROBE_BYTES + " bytes"), out);
        assertTrue(out.contains("RLIMIT_MEMLOCK is 0 bytes"), out);
        assertTrue(out.contains("CAP_IPC_LOCK"), out);
        assertTrue(out.contains("Operation not permitted"), "the kernel, not a missing binding, must refuse: " + out);
    }

    private static boolean onPath(final String program) {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
