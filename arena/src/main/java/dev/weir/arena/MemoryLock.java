package dev.weir.arena;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;
import net.openhft.chronicle.core.OS;
import net.openhft.posix.MAdviseFlag;
import net.openhft.posix.PosixAPI;
import net.openhft.posix.PosixRuntimeException;

/**
 * Locks committed memory in RAM: the whole process ({@code mlockall}) or one region ({@code mlock}), and passes
 * hints to the kernel ({@code madvise}), through Chronicle's posix binding.
 * <p>
 * Chronicle's {@code PosixAPI} has no {@code munlock}, and its {@code mlockall} neither reports failure nor
 * knows {@code MCL_ONFAULT}, so those two calls are bound here directly with jnr-ffi, the library Chronicle's
 * binding is built on. Unlocking matters because an arena's memory comes from
 * {@code malloc}: a region below glibc's mmap threshold is returned to the heap on free, not unmapped, and
 * would stay locked.
 * <p>
 * <b>Note:</b> startup and shutdown only; every call may allocate.
 */
public final class MemoryLock {

    /** {@code mlockall}: lock every page mapped now. */
    public static final int MCL_CURRENT = 1;
    /** {@code mlockall}: lock every page mapped from now on. */
    public static final int MCL_FUTURE = 2;
    /** {@code mlockall} (Linux 4.4+): lock pages as they are faulted in, instead of faulting every mapping in. */
    public static final int MCL_ONFAULT = 4;
    /** What {@link #lockProcess()} asks for first. */
    public static final int PROCESS_FLAGS = MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT;

    private static final int EPERM = 1;
    private static final int EAGAIN = 11;
    private static final int ENOMEM = 12;
    private static final int EINVAL = 22;
    private static final String LIMITS_FILE = "/proc/self/limits";
    private static final String MEMLOCK_ROW = "Max locked memory";

    private MemoryLock() {
    }

    /**
     * Lock a region in RAM so that it can never be swapped out.
     *
     * @param owner       the arena's name, for the message.
     * @param address     start of the region.
     * @param lengthBytes length of the region.
     * @throws MemoryLockException when the kernel refuses, with one line saying how to allow it.
     */
    public static void lock(final String owner, final long address, final long lengthBytes) {
        final boolean locked;
        try {
            locked = PosixAPI.posix().mlock(address, lengthBytes);
        } catch (final PosixRuntimeException e) {
            // Chronicle throws for every errno except ENOMEM (EPERM, EAGAIN, EINVAL).
            throw new MemoryLockException(failureMessage(owner, lengthBytes, e.getMessage(), memlockLimit()), e);
        }
        if (!locked) {
            // Returned by Chronicle for ENOMEM, and always by its no-op binding when no native one loaded.
            throw new MemoryLockException(failureMessage(owner, lengthBytes,
                "mlock refused (" + PosixAPI.posix().getClass().getSimpleName() + ")", memlockLimit()));
        }
    }

    /**
     * Lock the whole process in RAM, now and for every mapping to come: {@code mlockall(MCL_CURRENT |
     * MCL_FUTURE | MCL_ONFAULT)}. Every page resident now (arenas written, heap and stacks pre-touched) is locked,
     * and every page faulted in later is locked as it arrives. Without {@code MCL_ONFAULT}, {@code MCL_CURRENT}
     * would also fault in every mapping that is only reserved or read on demand (the JDK's 130 MiB module image,
     * each thread's whole stack): measured, +143 MiB of resident set the plan does not hold. A kernel older than
     * 4.4 refuses the flag ({@code EINVAL}); then the call is made without it.
     *
     * @return the flags the kernel accepted.
     * @throws MemoryLockException when the kernel refuses, with one line naming {@code memory.lock}, the limit and
     *     how to allow it.
     */
    public static int lockProcess() {
        int flags = PROCESS_FLAGS;
        int errno = Native.mlockall(flags);
        if (errno == EINVAL) {
            flags = MCL_CURRENT | MCL_FUTURE;
            errno = Native.mlockall(flags);
        }
        if (errno != 0) {
            throw new MemoryLockException(processFailureMessage(errnoName(errno), memlockLimit(),
                ProcessStatus.addressSpaceBytes()));
        }
        return flags;
    }

    /**
     * Refuse, before anything is committed, a process lock that cannot last. Without {@code CAP_IPC_LOCK} the
     * kernel charges every mapping to {@code RLIMIT_MEMLOCK} ({@code VmSize}, reserved ranges included), and with
     * {@code MCL_FUTURE} every mapping made after "ready" too: heap and class space commits inside reserved
     * ranges, new thread stacks, code cache growth. Under a finite limit such a mapping can fail while serving,
     * however much headroom the limit had at startup, so only an unlimited limit or the capability is accepted.
     *
     * @param limitBytes soft RLIMIT_MEMLOCK, as {@link #memlockLimit()} returns it.
     * @param capable    whether the process holds {@code CAP_IPC_LOCK}.
     * @return the one-line refusal, or {@code null} when the lock can be expected to hold (or the limit is
     *     unknown, in which case {@code mlockall} itself reports).
     */
    public static String processShortfall(final long limitBytes, final boolean capable) {
        if (capable || limitBytes < 0) {
            return null;
        }
        return "memory.lock: RLIMIT_MEMLOCK is " + describeLimit(limitBytes) + " and there is no CAP_IPC_LOCK;"
            + " a locked process charges every later mapping (heap commits, thread stacks, code cache) to a finite"
            + " limit, so one could fail while serving; " + howToAllow();
    }

    /**
     * The one-line message of a refused {@link #lockProcess()}.
     *
     * @param reason       the error, e.g. {@code ENOMEM}.
     * @param limitBytes   soft RLIMIT_MEMLOCK, as {@link #memlockLimit()} returns it.
     * @param mappedBytes  the address space mapped ({@code VmSize}), or negative when unknown.
     * @return the message, naming {@code memory.lock} and the limit.
     */
    public static String processFailureMessage(final String reason, final long limitBytes, final long mappedBytes) {
        return "memory.lock: mlockall refused (" + reason + "); RLIMIT_MEMLOCK is " + describeLimit(limitBytes)
            + (mappedBytes < 0 ? "" : " and this process maps " + (mappedBytes >> 20) + " MiB") + "; "
            + howToAllow();
    }

    private static String howToAllow() {
        return "needs CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK (LimitMEMLOCK=infinity in the systemd unit,"
            + " ulimit -l unlimited), or memory.lock: false";
    }

    private static String describeLimit(final long limitBytes) {
        if (limitBytes == -1) {
            return "unlimited";
        }
        return limitBytes < -1 ? "unknown" : (limitBytes >> 10) + " KiB";
    }

    private static String errnoName(final int errno) {
        switch (errno) {
            case ENOMEM:
                return "ENOMEM";
            case EPERM:
                return "EPERM";
            case EAGAIN:
                return "EAGAIN";
            case EINVAL:
                return "EINVAL";
            default:
                return "errno " + errno;
        }
    }

    /**
     * Unlock a region locked by {@link #lock(String, long, long)}.
     *
     * @param address     start of the region.
     * @param lengthBytes length of the region.
     * @return {@code true} when the kernel accepted the call.
     */
    public static boolean unlock(final long address, final long lengthBytes) {
        return Native.LIBC.munlock(address, lengthBytes) == 0;
    }

    /**
     * Pass a hint about a region to the kernel. The range is narrowed to whole pages, since {@code madvise}
     * needs a page-aligned start and native allocations rarely are.
     *
     * @param address     start of the region.
     * @param lengthBytes length of the region.
     * @param advice      the hint, e.g. {@link MAdviseFlag#MADV_DONTDUMP} to keep buffers out of core dumps.
     * @return {@code true} when the kernel accepted the hint, or the region holds no whole page.
     */
    public static boolean advise(final long address, final long lengthBytes, final MAdviseFlag advice) {
        final long pageSize = OS.pageSize();
        final long start = (address + pageSize - 1) & -pageSize;
        final long end = (address + lengthBytes) & -pageSize;
        if (end <= start) {
            return true;
        }
        return PosixAPI.posix().madvise(start, end - start, advice) == 0;
    }

    /**
     * Ask for a region to be backed by transparent huge pages: one TLB entry per 2 MiB instead of 512. Each
     * request touches its connection's buffers, pages apart from every other connection's; with a thousand
     * connections those pages no longer fit the TLB, and each miss costs a page walk (two levels of them in a
     * virtual machine), in the stage thread and in the kernel copying socket data in and out. The kernel backs
     * only the whole 2 MiB pages inside the advised range with huge pages. Call it before the region is first
     * written: the writes then fault in huge pages directly. A hint: under THP's {@code never} mode, or with no
     * huge page free, the kernel gives small pages as before.
     *
     * @param address     start of the region.
     * @param lengthBytes length of the region.
     * @return {@code true} when the kernel accepted the hint (it does under {@code never} too, and gives none).
     */
    public static boolean adviseHugePages(final long address, final long lengthBytes) {
        try {
            return advise(address, lengthBytes, MAdviseFlag.MADV_HUGEPAGE);
        } catch (final PosixRuntimeException e) {
            return false;
        }
    }

    /**
     * The one-line message of a failed lock: what was refused, why, and how to allow it.
     *
     * @param owner        the arena's name.
     * @param lengthBytes  the size that could not be locked.
     * @param reason       the kernel's or the binding's reason.
     * @param limitBytes   the current soft RLIMIT_MEMLOCK in bytes, {@code -1} for unlimited, {@code -2} unknown.
     * @return the message, without line breaks.
     */
    public static String failureMessage(final String owner, final long lengthBytes, final String reason,
        final long limitBytes) {
        final String limit;
        if (limitBytes == -1) {
            limit = "unlimited";
        } else if (limitBytes < -1) {
            limit = "unknown";
        } else {
            limit = limitBytes + " bytes";
        }
        final String message = "cannot lock arena '" + owner + "' (" + lengthBytes + " bytes, "
            + (lengthBytes >> 20) + " MiB) in RAM: " + reason + "; RLIMIT_MEMLOCK is " + limit
            + "; raise RLIMIT_MEMLOCK (ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit)"
            + " or grant CAP_IPC_LOCK, or start without memory locking";
        return message.replace('\n', ' ').replace('\r', ' ');
    }

    /**
     * @return the soft RLIMIT_MEMLOCK of this process in bytes from {@code /proc/self/limits}, {@code -1} when
     *     unlimited, {@code -2} when it cannot be read.
     */
    public static long memlockLimit() {
        return memlockLimit(false);
    }

    /**
     * @param hard the hard limit (what a launcher may raise the soft one to), else the soft one.
     * @return that RLIMIT_MEMLOCK of this process in bytes from {@code /proc/self/limits}, {@code -1} when
     *     unlimited, {@code -2} when it cannot be read.
     */
    public static long memlockLimit(final boolean hard) {
        try {
            final List<String> lines = Files.readAllLines(Path.of(LIMITS_FILE), StandardCharsets.US_ASCII);
            for (final String line : lines) {
                if (line.startsWith(MEMLOCK_ROW)) {
                    final String value = line.substring(MEMLOCK_ROW.length()).trim().split("\\s+")[hard ? 1 : 0];
                    return "unlimited".equals(value) ? -1 : Long.parseLong(value);
                }
            }
        } catch (final IOException | RuntimeException e) {
            return -2;
        }
        return -2;
    }

    /** Holder, so that libc is bound on first use only. */
    private static final class Native {
        private static final Libc LIBC = LibraryLoader.create(Libc.class).load("c");

        /** @return 0, or the errno of a failed {@code mlockall}. */
        static int mlockall(final int flags) {
            return LIBC.mlockall(flags) == 0 ? 0 : jnr.ffi.Runtime.getRuntime(LIBC).getLastError();
        }

        /**
         * The libc calls Chronicle's binding lacks or hides. Public (in the class file) because jnr-ffi generates the
         * implementation in its own class loader.
         */
        public interface Libc {
            /**
             * @param address start of the region.
             * @param length  length of the region.
             * @return 0 on success, -1 on failure.
             */
            int munlock(long address, long length);

            /**
             * @param flags {@code MCL_*} bits.
             * @return 0 on success, -1 on failure with errno saved.
             */
            @SaveError
            int mlockall(int flags);
        }
    }
}
