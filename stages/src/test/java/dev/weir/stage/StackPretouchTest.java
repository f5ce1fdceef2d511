package dev.weir.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.weir.arena.CpuAffinity;
import dev.weir.arena.ProcessStatus;
import dev.weir.config.CpuList;

/** Checked against the kernel's own account: the resident size of the mapping that holds the thread's stack. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StackPretouchTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void shouldMakeTheCallingThreadsStackResidentToTheDepthAsked() throws Exception {
        final long[] result = new long[3];
        final Thread thread = new Thread(null, () -> {
            result[0] = residentStackBytes();
            result[1] = StackPretouch.touch(MIB);
            result[2] = residentStackBytes();
        }, "pretouch-test", 2 * MIB);
        thread.start();
        thread.join();
        assertTrue(result[0] > 0 && result[0] < MIB, "resident before: " + result[0]);
        assertTrue(result[1] >= MIB && result[1] < MIB + 64 * 1024, "depth measured: " + result[1]);
        assertTrue(result[2] >= MIB, "resident after: " + result[2]);
    }

    @Test
    void shouldTouchNothingWhenOff() {
        assertEquals(0, StackPretouch.touch(0));
    }

    @Test
    void shouldPinEachThreadToItsCpuOfTheListRoundRobin() throws Exception {
        final int[] allowed = CpuList.parse("Cpus_allowed_list", ProcessStatus.allowedCpuList());
        final int last = allowed[allowed.length - 1];
        final ThreadPreparation preparation = new ThreadPreparation(64 * 1024, new int[] {last},
            new String[] {"a", "b"});
        final String[] pinned = new String[2];
        for (int i = 0; i < 2; i++) {
            final int order = i;
            final Thread thread = new Thread(() -> {
                preparation.prepare(order);
                pinned[order] = threadCpus(CpuAffinity.currentThreadId());
            });
            thread.start();
            thread.join();
        }
        preparation.await(1_000);
        assertEquals(Integer.toString(last), pinned[0]);
        assertEquals(Integer.toString(last), pinned[1]);
        assertEquals(last, preparation.cpuOf(1));
        assertTrue(preparation.describe().startsWith("pinned a cpu " + last + " (tid "), preparation.describe());
        final String described = preparation.describe();
        assertTrue(described.matches(".*stacks pre-touched: at least (6[4-9]|[7-9][0-9]) KiB each of 2 threads"),
            described);
    }

    /** @return {@code Cpus_allowed_list} of one thread of this process. */
    private static String threadCpus(final int tid) {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return line.substring("Cpus_allowed_list:".length()).trim();
                }
            }
        } catch (final IOException e) {
            return "unreadable: " + e;
        }
        return "none";
    }

    /** @return Rss of the mapping that holds the calling thread's stack pointer, from /proc/self/smaps. */
    private static long residentStackBytes() {
        final long sp;
        try (RandomAccessFile file = new RandomAccessFile(StackPretouch.SYSCALL_FILE, "r")) {
            sp = StackPretouch.stackPointer(file, new byte[256]);
            final List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"), StandardCharsets.US_ASCII);
            boolean inside = false;
            for (final String line : lines) {
                final int dash = line.indexOf('-');
                final int space = line.indexOf(' ');
                if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                    final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                    final long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                    inside = sp >= start && sp < end;
                } else if (inside && line.startsWith("Rss:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (final IOException e) {
            return -1;
        }
        return -1;
    }
}
