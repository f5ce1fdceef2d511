package dev.weir.arena;

/**
 * Thrown at startup when memory locking is asked for and the kernel refuses it.
 */
public final class MemoryLockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was refused and how to allow it (RLIMIT_MEMLOCK, CAP_IPC_LOCK).
     */
    public MemoryLockException(final String message) {
        super(message);
    }

    /**
     * @param message what was refused and how to allow it (RLIMIT_MEMLOCK, CAP_IPC_LOCK).
     * @param cause   the binding's own exception.
     */
    public MemoryLockException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
