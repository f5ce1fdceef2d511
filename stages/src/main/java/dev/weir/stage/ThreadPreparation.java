package dev.weir.stage;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.weir.arena.CpuAffinity;

/**
 * What each stage thread, and the access log's, does on itself before its first turn: touch its stack to
 * {@code jvm.stack-pretouch} and pin itself to its CPU of {@code affinity}. Threads are numbered in the order
 * accept, parse-0.., upstream-0.., write-0.., access log; thread {@code i} gets CPU {@code i mod n} of the list.
 * <p>
 * <b>Note:</b> {@link #prepare} from each thread, once; {@link #await} and {@link #describe} from the starting
 * thread, which sees every thread's outcome after {@link #await} returns.
 */
final class ThreadPreparation {

    private final long pretouchBytes;
    private final int[] cpus;
    private final String[] names;
    private final long[] touchedBytes;
    private final int[] threadIds;
    private final String[] failures;
    private final CountDownLatch prepared;

    /**
     * @param pretouchBytes stack each thread touches; 0 for none.
     * @param cpus          the CPU list, empty for no pinning.
     * @param names         the threads' names in order.
     */
    ThreadPreparation(final long pretouchBytes, final int[] cpus, final String[] names) {
        this.pretouchBytes = pretouchBytes;
        this.cpus = cpus.clone();
        this.names = names.clone();
        this.touchedBytes = new long[names.length];
        this.threadIds = new int[names.length];
        this.failures = new String[names.length];
        this.prepared = new CountDownLatch(names.length);
    }

    /**
     * @param thread the thread's number.
     * @return its CPU, or -1 when not pinned.
     */
    int cpuOf(final int thread) {
        return cpus.length == 0 ? -1 : cpus[thread % cpus.length];
    }

    /**
     * Prepare the calling thread; never throws, a failure is kept for {@link #await}.
     *
     * @param thread the calling thread's number.
     */
    void prepare(final int thread) {
        try {
            touchedBytes[thread] = StackPretouch.touch(pretouchBytes);
            final int cpu = cpuOf(thread);
            if (cpu >= 0) {
                threadIds[thread] = CpuAffinity.currentThreadId();
                final int errno = CpuAffinity.pinCurrentThread(cpu);
                if (errno != 0) {
                    failures[thread] = "affinity: cannot pin " + names[thread] + " to CPU " + cpu
                        + " (sched_setaffinity errno " + errno + ")";
                }
            }
        } catch (final Throwable e) {
            // Any failure, a StackOverflowError from the descent too, is reported before "ready" instead of
            // ending the thread before its first turn.
            failures[thread] = names[thread] + ": cannot prepare the thread: " + e;
        } finally {
            prepared.countDown();
        }
    }

    /**
     * Wait for every thread to be prepared.
     *
     * @param timeoutMs longest wait.
     * @throws IllegalStateException when a thread failed, or not all were prepared in time.
     */
    void await(final long timeoutMs) {
        try {
            if (!prepared.await(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(prepared.getCount() + " stage threads not ready within " + timeoutMs
                    + " ms (stack pre-touch, pinning)");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stage threads prepared", e);
        }
        for (final String failure : failures) {
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }
    }

    /** @return one line: each thread's CPU (and id) when pinned, and the stack depth pre-touched. */
    String describe() {
        final StringBuilder line = new StringBuilder();
        if (cpus.length == 0) {
            line.append("not pinned (affinity none)");
        } else {
            line.append("pinned");
            for (int i = 0; i < names.length; i++) {
                line.append(i == 0 ? " " : ", ").append(names[i]).append(" cpu ").append(cpuOf(i))
                    .append(" (tid ").append(threadIds[i]).append(')');
            }
        }
        line.append("; stacks pre-touched: ");
        if (pretouchBytes == 0) {
            return line.append("off (jvm.stack-pretouch none)").toString();
        }
        long least = Long.MAX_VALUE;
        boolean measured = true;
        for (final long touched : touchedBytes) {
            measured &= touched >= 0;
            least = Math.min(least, touched);
        }
        return line.append(measured ? "at least " + (least >> 10) + " KiB each" : "by estimate (no stack pointer)")
            .append(" of ").append(names.length).append(" threads").toString();
    }
}
