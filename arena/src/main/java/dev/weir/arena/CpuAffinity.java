package dev.weir.arena;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

/**
 * Pins the calling thread to one CPU ({@code sched_setaffinity} on the thread itself), bound with jnr-ffi.
 * <p>
 * <b>Note:</b> startup only, on the thread to pin; each call allocates its mask.
 */
public final class CpuAffinity {

    /** CPUs a mask can name: glibc's {@code CPU_SETSIZE}. */
    public static final int MAX_CPUS = 1024;

    private CpuAffinity() {
    }

    /**
     * Pin the calling thread to one CPU.
     *
     * @param cpu the CPU's number, from 0 to {@link #MAX_CPUS} - 1.
     * @return 0, or the errno of the refusal (e.g. 22, EINVAL, for a CPU outside the allowed set).
     */
    public static int pinCurrentThread(final int cpu) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new IllegalArgumentException("cpu " + cpu + " outside 0.." + (MAX_CPUS - 1));
        }
        final long[] mask = new long[MAX_CPUS / Long.SIZE];
        mask[cpu / Long.SIZE] = 1L << (cpu % Long.SIZE);
        // pid 0 is the calling thread, not the whole process.
        return Native.LIBC.schedSetaffinity(0, (long) mask.length * Long.BYTES, mask) == 0 ? 0
            : jnr.ffi.Runtime.getRuntime(Native.LIBC).getLastError();
    }

    /** @return the calling thread's kernel id ({@code gettid}), as {@code /proc/PID/task} lists it. */
    public static int currentThreadId() {
        return Native.LIBC.gettid();
    }

    /** Holder, so that libc is bound on first use only. */
    private static final class Native {
        private static final Libc LIBC = LibraryLoader.create(Libc.class)
            .map("schedSetaffinity", "sched_setaffinity").load("c");

        /** The libc calls; public because jnr-ffi generates the implementation in its own class loader. */
        public interface Libc {
            /**
             * @param pid        0 for the calling thread.
             * @param cpuSetSize bytes in the mask.
             * @param mask       the CPU bits, lowest CPU in bit 0 of the first word.
             * @return 0 on success, -1 with errno saved.
             */
            @SaveError
            int schedSetaffinity(int pid, long cpuSetSize, @In long[] mask);

            /** @return the calling thread's id. */
            int gettid();
        }
    }
}
