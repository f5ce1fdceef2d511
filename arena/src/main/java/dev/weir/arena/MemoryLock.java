package dev.weir.arena;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jnr.ffi.LibraryLoader;
import net.openhft.chronicle.core.OS;
import net.openhft.posix.MAdviseFlag;
import net.openhft.posix.PosixAPI;
import net.openhft.posix.PosixRuntimeException;

/**
 * Locks committed memory in RAM ({@code mlock}) and passes hints to the kernel ({@code madvise}), through
 * Chronicle's posix binding.
 * <p>
 * Chronicle's {@code PosixAPI} has no {@code munlock}, so that one call is bound here directly with jnr-ffi,
 * the library Chronicle's binding is built on. Unlocking matters because an arena's memory comes from
 * {@code malloc}: a region below glibc's mmap threshold is returned to the heap on free, not unmapped, and
 * would stay locked.
 * <p>
 * <b>Note:</b> startup and shutdown only; every call may allocate.
 */
public final class MemoryLock {

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
     * Unlock a region locked by {@link #lock(String, long, long)}.
     *
     * @param address     start of the region.
     * @param lengthBytes length of the region.
     * @return {@code true} when the kernel accepted the call.
     */
    public static boolean unlock(final long address, final long lengthBytes) {
        return Munlock.LIBC.munlock(address, lengthBytes) == 0;
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
        try {
            final List<String> lines = Files.readAllLines(Path.of(LIMITS_FILE), StandardCharsets.US_ASCII);
            for (final String line : lines) {
                if (line.startsWith(MEMLOCK_ROW)) {
                    final String soft = line.substring(MEMLOCK_ROW.length()).trim().split("\\s+")[0];
                    return "unlimited".equals(soft) ? -1 : Long.parseLong(soft);
                }
            }
        } catch (final IOException | RuntimeException e) {
            return -2;
        }
        return -2;
    }

    /** Holder, so that libc is bound on first unlock only. */
    private static final class Munlock {
        private static final Libc LIBC = LibraryLoader.create(Libc.class).load("c");

        /**
         * The libc call Chronicle's binding lacks. Public (in the class file) because jnr-ffi generates the
         * implementation in its own class loader.
         */
        public interface Libc {
            /**
             * @param address start of the region.
             * @param length  length of the region.
             * @return 0 on success, -1 on failure.
             */
            int munlock(long address, long length);
        }
    }
}
