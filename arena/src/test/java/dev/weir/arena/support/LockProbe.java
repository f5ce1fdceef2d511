package dev.weir.arena.support;

import dev.weir.arena.Arena;
import dev.weir.arena.MemoryLockException;

/**
 * Child-process entry point: commits and locks a 1 MiB arena, prints the lock failure message, if any, on
 * one line of standard output, and exits {@link #EXIT_LOCKED} or {@link #EXIT_REFUSED}.
 */
public final class LockProbe {

    /** Exit status when the arena was locked. */
    public static final int EXIT_LOCKED = 0;

    /** Exit status when locking was refused with a {@link MemoryLockException}. */
    public static final int EXIT_REFUSED = 3;

    /** The arena's size. */
    public static final long PROBE_BYTES = 1 << 20;

    private LockProbe() {
    }

    /**
     * @param args unused.
     */
    public static void main(final String[] args) {
        try (Arena arena = Arena.commit("probe", PROBE_BYTES, true)) {
            System.out.println("locked=" + arena.isLocked());
            System.exit(EXIT_LOCKED);
        } catch (final MemoryLockException e) {
            System.out.println(e.getMessage());
            System.exit(EXIT_REFUSED);
        }
    }
}
